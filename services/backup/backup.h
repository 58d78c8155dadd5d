// Online backups of a node's store and restoring them (docs/operations.md,
// "Backups"). A backup is a directory: the files of a RocksDB checkpoint and
// backup.textproto, the manifest with each file's size and SHA-256, written
// last so that a backup cut short has none and is refused.
//
//   node:    StreamBackup(store, data_dir, info, send)        (Admin.Backup)
//   ilpctl:  BackupWriter w(out); w.Add(chunk)...; w.Finish()  (ilpctl backup)
//   restore: RestoreBackup(backup_dir, data_dir, new_incarnation) (ilp-node --restore)
#ifndef ILP_SERVICES_BACKUP_BACKUP_H_
#define ILP_SERVICES_BACKUP_BACKUP_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ilp/v1/admin.pb.h"

namespace ilp {

class Store;

inline constexpr char kBackupManifest[] = "backup.textproto";
inline constexpr uint32_t kBackupFormat = 1;

// Lowercase hex SHA-256 of a whole file; NOT_FOUND / INTERNAL naming it.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> FileSha256(const std::string& path);

// Checkpoints `store` into a temporary directory inside `data_dir` (same
// filesystem: hard links, no copy), sends its files in chunks of at most
// 1 MiB and then the manifest, and removes the checkpoint. `manifest` gives
// node_id and incarnation; the rest is filled in. CANCELLED if `send`
// returns false (the client went away).
ABSL_MUST_USE_RESULT absl::Status StreamBackup(const Store& store, const std::string& data_dir, v1::BackupManifest manifest,
                          const std::function<bool(const v1::BackupChunk&)>& send);

// Writes a backup stream into `out_dir` (created; must be new or empty).
class BackupWriter {
 public:
  explicit BackupWriter(std::string out_dir) : dir_(std::move(out_dir)) {}
  // Creates the directory; FAILED_PRECONDITION if it exists and is not empty.
  ABSL_MUST_USE_RESULT absl::Status Start();
  // Writes a chunk's data; remembers the manifest if it carries one.
  ABSL_MUST_USE_RESULT absl::Status Add(const v1::BackupChunk& chunk);
  // Checks every file against the manifest and writes the manifest.
  // DATA_LOSS naming the file if one is short, long or differs.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::BackupManifest> Finish();

 private:
  std::string dir_;
  std::map<std::string, uint64_t> written_;  // path -> bytes
  v1::BackupManifest manifest_;
  bool have_manifest_ = false;
};

// Checks a backup directory against its manifest: every file present, of
// its size and SHA-256. FAILED_PRECONDITION without a manifest (cut short),
// DATA_LOSS naming a damaged file.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::BackupManifest> CheckBackup(const std::string& backup_dir);

// Copies a checked backup of node `node_id` into `data_dir` (which must be
// absent or empty), gives the store `new_incarnation` so its parent and children resend what
// it lacks (docs/replication.md), and verifies it.
// FAILED_PRECONDITION if the backup is of another node.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::BackupManifest> RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                                                 const std::string& node_id, const std::string& new_incarnation);

}  // namespace ilp

#endif  // ILP_SERVICES_BACKUP_BACKUP_H_
