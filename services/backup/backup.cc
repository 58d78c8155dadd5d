// The store half of backups: streaming a checkpoint, restoring one.
#include "services/backup/backup.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

namespace fs = std::filesystem;
constexpr size_t kChunk = 1 << 20;

// Removes a directory when it goes out of scope.
struct RemoveOnExit {
  std::string dir;
  ~RemoveOnExit() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

absl::Status SendFile(const fs::path& root, const fs::path& file,
                      const std::function<bool(const v1::BackupChunk&)>& send, v1::BackupFile* entry) {
  entry->set_path(fs::relative(file, root).string());
  ILP_ASSIGN_OR_RETURN(std::string sha, FileSha256(file.string()));
  entry->set_sha256_hex(sha);
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("backup: cannot read ", file.string()));
  v1::BackupChunk c;
  c.set_path(entry->path());
  std::string buf(kChunk, '\0');
  uint64_t offset = 0;
  do {
    in.read(buf.data(), buf.size());
    const size_t n = static_cast<size_t>(in.gcount());
    c.set_offset(offset);
    c.set_data(buf.data(), n);
    if (!send(c)) return absl::CancelledError("backup: the client went away");
    offset += n;
  } while (in);
  if (in.bad()) return absl::InternalError(absl::StrCat("backup: read error in ", file.string()));
  entry->set_size(offset);
  return absl::OkStatus();
}

}  // namespace

absl::Status StreamBackup(const Store& store, const std::string& data_dir, v1::BackupManifest manifest,
                          const std::function<bool(const v1::BackupChunk&)>& send) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string dir = absl::StrCat(data_dir, "/.backup-", std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  RemoveOnExit cleanup{dir};
  manifest.set_head(store.LastSeq());  // the checkpoint holds at least this
  ILP_RETURN_IF_ERROR(store.Checkpoint(dir));
  manifest.set_format(kBackupFormat);
  manifest.set_created_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  std::error_code ec;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    ILP_RETURN_IF_ERROR(SendFile(dir, e.path(), send, manifest.add_files()));
  }
  if (ec) return absl::InternalError(absl::StrCat("backup: listing ", dir, ": ", ec.message()));
  v1::BackupChunk last;
  *last.mutable_manifest() = std::move(manifest);
  if (!send(last)) return absl::CancelledError("backup: the client went away");
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupManifest> RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                                                 const std::string& node_id, const std::string& new_incarnation) {
  ILP_ASSIGN_OR_RETURN(v1::BackupManifest m, CheckBackup(backup_dir));
  if (m.node_id() != node_id) {
    return absl::FailedPreconditionError(
        absl::StrCat(backup_dir, ": a backup of node ", m.node_id(), ", not of ", node_id));
  }
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir ", data_dir, ": exists and is not empty; move the old store aside first (docs/operations.md)"));
  }
  // Copy next to the data dir, then rename: a restore cut short leaves no
  // half store where the node would open it.
  const std::string tmp = data_dir + ".restoring";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  for (const v1::BackupFile& f : m.files()) {
    fs::create_directories((fs::path(tmp) / f.path()).parent_path(), ec);
    fs::copy_file(fs::path(backup_dir) / f.path(), fs::path(tmp) / f.path(), ec);
    if (ec) return absl::InternalError(absl::StrCat("restore: copying ", f.path(), ": ", ec.message()));
  }
  {
    SystemClock clock;
    ILP_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(tmp, &clock));
    ILP_RETURN_IF_ERROR(store->Verify());
    ILP_RETURN_IF_ERROR(store->PutMeta("incarnation", new_incarnation));
  }
  fs::remove(data_dir, ec);  // empty, if it exists
  fs::rename(tmp, data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("restore: moving into ", data_dir, ": ", ec.message()));
  return m;
}

}  // namespace ilp
