#include "tests/sim/sim_fs.h"

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ilp::sim {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

IOStatus PowerCut() { return IOStatus::IOError("sim: power cut"); }

class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> f, SimFileSystem* fs, std::string name)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), name_(std::move(name)) {}

  IOStatus Append(const Slice& d, const IOOptions& o, IODebugContext* dbg) override {
    if (fs_->IsCut(name_)) return PowerCut();
    IOStatus s = target()->Append(d, o, dbg);
    if (s.ok()) fs_->Appended(name_, d.size());
    return s;
  }
  IOStatus Append(const Slice& d, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* dbg) override {
    if (fs_->IsCut(name_)) return PowerCut();
    IOStatus s = target()->Append(d, o, v, dbg);
    if (s.ok()) fs_->Appended(name_, d.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice&, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::NotSupported("SimFileSystem: positioned append");
  }
  IOStatus PositionedAppend(const Slice&, uint64_t, const IOOptions&,
                            const rocksdb::DataVerificationInfo&, IODebugContext*) override {
    return IOStatus::NotSupported("SimFileSystem: positioned append");
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    if (fs_->IsCut(name_)) return PowerCut();
    IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok()) fs_->Truncated(name_, size);
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    if (fs_->IsCut(name_)) return PowerCut();
    IOStatus s = target()->Sync(o, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    if (fs_->IsCut(name_)) return PowerCut();
    IOStatus s = target()->Fsync(o, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::OK();  // a partial write-back promises nothing
  }

 private:
  SimFileSystem* fs_;
  std::string name_;
};

}  // namespace

SimFileSystem::SimFileSystem()
    : FileSystemWrapper(nullptr), mem_env_(rocksdb::NewMemEnv(rocksdb::Env::Default())) {
  target_ = mem_env_->GetFileSystem();
}

IOStatus SimFileSystem::Track(const std::string& f, uint64_t size,
                              std::unique_ptr<rocksdb::FSWritableFile>* r) {
  {
    std::lock_guard<std::mutex> l(mu_);
    FileState& st = files_[f];
    st.size = size;
    st.synced = std::min(st.synced, size);
  }
  *r = std::make_unique<TrackedFile>(std::move(*r), this, f);
  return IOStatus::OK();
}

IOStatus SimFileSystem::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSWritableFile>* r,
                                        IODebugContext* dbg) {
  if (IsCut(f)) return PowerCut();
  IOStatus s = target()->NewWritableFile(f, o, r, dbg);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> l(mu_);
    files_[f] = FileState{};  // a new, empty file: an empty file survives as empty
  }
  return Track(f, 0, r);
}

IOStatus SimFileSystem::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                                           IODebugContext* dbg) {
  if (IsCut(f)) return PowerCut();
  IOStatus s = target()->ReopenWritableFile(f, o, r, dbg);
  if (!s.ok()) return s;
  uint64_t size = 0;
  s = target()->GetFileSize(f, IOOptions(), &size, dbg);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (files_.count(f) == 0) files_[f] = FileState{size, size};
  }
  return Track(f, size, r);
}

IOStatus SimFileSystem::RenameFile(const std::string& src, const std::string& dst,
                                   const IOOptions& o, IODebugContext* dbg) {
  if (IsCut(src) || IsCut(dst)) return PowerCut();
  IOStatus s = target()->RenameFile(src, dst, o, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[dst] = it->second;
    files_.erase(it);
  } else {
    files_.erase(dst);
  }
  return s;
}

IOStatus SimFileSystem::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) {
  if (IsCut(f)) return PowerCut();
  IOStatus s = target()->DeleteFile(f, o, dbg);
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(f);
  return s;
}

void SimFileSystem::Appended(const std::string& f, uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  files_[f].size += n;
}

void SimFileSystem::Synced(const std::string& f) {
  std::lock_guard<std::mutex> l(mu_);
  FileState& st = files_[f];
  st.synced = st.size;
}

void SimFileSystem::Truncated(const std::string& f, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  FileState& st = files_[f];
  st.size = size;
  st.synced = std::min(st.synced, size);
}

bool SimFileSystem::IsCut(const std::string& f) {
  std::lock_guard<std::mutex> l(mu_);
  for (const std::string& p : cut_) {
    if (absl::StartsWith(f, p)) return true;
  }
  return false;
}

void SimFileSystem::Cut(const std::string& prefix) {
  std::lock_guard<std::mutex> l(mu_);
  cut_.insert(prefix);
  for (const auto& [name, st] : files_) {
    if (absl::StartsWith(name, prefix)) at_cut_[name] = st.synced;
  }
}

absl::StatusOr<uint64_t> SimFileSystem::DropUnsynced(const std::string& prefix) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t dropped = 0;
  for (auto& [name, st] : files_) {
    if (!absl::StartsWith(name, prefix)) continue;
    auto cut = at_cut_.find(name);
    st.synced = std::min(st.synced, cut == at_cut_.end() ? 0 : cut->second);
    if (cut != at_cut_.end()) at_cut_.erase(cut);
    if (st.synced >= st.size) continue;
    // Keep the synced prefix: read it, then rewrite the file with only it.
    std::string keep(st.synced, '\0');
    if (st.synced > 0) {
      std::unique_ptr<rocksdb::FSSequentialFile> in;
      IOStatus s = target()->NewSequentialFile(name, rocksdb::FileOptions(), &in, nullptr);
      Slice got;
      if (s.ok()) s = in->Read(st.synced, IOOptions(), &got, keep.data(), nullptr);
      if (!s.ok() || got.size() != st.synced) {
        return absl::InternalError(absl::StrCat("sim fs: reading ", name, ": ", s.ToString()));
      }
      keep.assign(got.data(), got.size());
    }
    std::unique_ptr<rocksdb::FSWritableFile> out;
    IOStatus s = target()->NewWritableFile(name, rocksdb::FileOptions(), &out, nullptr);
    if (s.ok()) s = out->Append(keep, IOOptions(), nullptr);
    if (s.ok()) s = out->Close(IOOptions(), nullptr);
    if (!s.ok())
      return absl::InternalError(absl::StrCat("sim fs: cutting ", name, ": ", s.ToString()));
    dropped += st.size - st.synced;
    st.size = st.synced;
  }
  cut_.erase(prefix);
  return dropped;
}

}  // namespace ilp::sim
