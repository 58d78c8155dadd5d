// Keeps the store from meeting a full disk. RocksDB must never see ENOSPC:
// Debian's librocksdb aborts on an internal assertion when a WAL append fails
// half way. So every write is checked first against a reserve of free space
// (statvfs on the data dir, cached briefly) and refused with
// RESOURCE_EXHAUSTED, naming the dir and the free space, once free space is
// below it. Writes resume by themselves when space is freed.
//
// Two classes of write (docs/reliability.md, "Damaged files and full disks"):
//   kData         records, change log, quarantine: refused below the reserve;
//   kHousekeeping cursors, peer state and reports (a few hundred bytes): may
//                 use the upper half of the reserve, so a full node can still
//                 send what it has and record that it did.
//
//   DiskGuard guard(dir, 256 << 20, NewStatvfsProbe());
//   ILP_RETURN_IF_ERROR(guard.Check(WriteClass::kData));
#ifndef ILP_STORAGE_STORE_DISK_GUARD_H_
#define ILP_STORAGE_STORE_DISK_GUARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ilp {

// Free bytes available to this process on the filesystem holding `dir`.
using FreeSpaceProbe = std::function<absl::StatusOr<uint64_t>(const std::string& dir)>;

// statvfs(2): f_bavail * f_frsize (the space an unprivileged writer may use).
FreeSpaceProbe NewStatvfsProbe();

enum class WriteClass { kData, kHousekeeping };

class DiskGuard {
 public:
  // `reserve_bytes` 0 disables the check. The probe is called at most once
  // per `cache_for` (plus once per refused write, so a freed disk is seen at
  // once).
  DiskGuard(std::string dir, uint64_t reserve_bytes, FreeSpaceProbe probe,
            absl::Duration cache_for = absl::Milliseconds(200));

  // OK if a write of `cls` may go ahead; RESOURCE_EXHAUSTED naming the dir,
  // the free space and the reserve if not (counted in refused()); the
  // probe's own error if free space cannot be read. Thread-safe.
  ABSL_MUST_USE_RESULT absl::Status Check(WriteClass cls);

  // Free bytes at the last probe (probing now if never probed).
  uint64_t free_bytes();
  uint64_t reserve_bytes() const { return reserve_; }
  // Writes refused for lack of space, since start.
  uint64_t refused() const { return refused_.load(); }
  // True if the last Check of kData would refuse.
  bool refusing();

 private:
  ABSL_MUST_USE_RESULT absl::StatusOr<uint64_t> Probe(bool force);

  const std::string dir_;
  const uint64_t reserve_;
  const FreeSpaceProbe probe_;
  const absl::Duration cache_for_;
  absl::Mutex mu_;  // a leaf (docs/reliability.md, "Lock order")
  uint64_t free_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time probed_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::atomic<uint64_t> refused_{0};
};

}  // namespace ilp

#endif  // ILP_STORAGE_STORE_DISK_GUARD_H_
