// An in-memory file system for the simulation that forgets, on a simulated
// power cut, every byte a file received after its last Sync/Fsync, as a
// disk's volatile cache would. It wraps RocksDB's MemEnv file system
// (rocksdb/env.h NewMemEnv), so 581 stores live in RAM.
//
//   auto fs = std::make_shared<SimFileSystem>();
//   std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
//   ... Store::Open("/sim/pos-1", clock, {8, env.get()}) ... store.reset();
//   fs->DropUnsynced("/sim/pos-1/");   // the power cut
//
// Directory entries (creates, renames, deletes) are kept: RocksDB fsyncs the
// directory after each, and the store writes nothing without syncing it.
#ifndef ILP_TESTS_SIM_SIM_FS_H_
#define ILP_TESTS_SIM_SIM_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ilp::sim {

class SimFileSystem : public rocksdb::FileSystemWrapper {
 public:
  SimFileSystem();
  const char* Name() const override { return "SimFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;

  // The power cut under `prefix`: remembers how much of each file is synced
  // now, and fails every later write, create, rename and delete there until
  // DropUnsynced, so nothing the store does after (closing) reaches the disk.
  void Cut(const std::string& prefix);
  // True if `f` lies under a prefix that was Cut and not yet restored.
  bool IsCut(const std::string& f);
  // Truncates each file under `prefix` to what was synced at Cut (a file
  // made since becomes empty). Call it with no store open on those files.
  // Returns the bytes dropped.
  absl::StatusOr<uint64_t> DropUnsynced(const std::string& prefix);

  // Called by the file wrappers.
  void Appended(const std::string& f, uint64_t n);
  void Synced(const std::string& f);
  void Truncated(const std::string& f, uint64_t size);

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  rocksdb::IOStatus Track(const std::string& f, uint64_t size,
                          std::unique_ptr<rocksdb::FSWritableFile>* r);

  std::unique_ptr<rocksdb::Env> mem_env_;  // owns the in-memory files
  std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
  std::map<std::string, uint64_t> at_cut_;  // guarded by mu_: file -> synced at Cut
  std::set<std::string> cut_;               // guarded by mu_: prefixes without power
};

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_SIM_FS_H_
