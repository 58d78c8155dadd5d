#include "storage/store/disk_guard.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ilp {
namespace {

std::string MiB(uint64_t bytes) {
  return absl::StrCat(bytes >> 20, ".", ((bytes & ((1u << 20) - 1)) * 10) >> 20, " MiB");
}

}  // namespace

FreeSpaceProbe NewStatvfsProbe() {
  return [](const std::string& dir) -> absl::StatusOr<uint64_t> {
    struct statvfs v;
    if (statvfs(dir.c_str(), &v) != 0) {
      return absl::InternalError(
          absl::StrCat("data_dir ", dir, ": statvfs failed: ", std::strerror(errno)));
    }
    return static_cast<uint64_t>(v.f_bavail) * static_cast<uint64_t>(v.f_frsize);
  };
}

DiskGuard::DiskGuard(std::string dir, uint64_t reserve_bytes, FreeSpaceProbe probe,
                     absl::Duration cache_for)
    : dir_(std::move(dir)), reserve_(reserve_bytes), probe_(std::move(probe)),
      cache_for_(cache_for) {}

absl::StatusOr<uint64_t> DiskGuard::Probe(bool force) {
  absl::MutexLock l(&mu_);
  const absl::Time now = absl::Now();
  if (force || now - probed_ >= cache_for_) {
    absl::StatusOr<uint64_t> f = probe_(dir_);
    if (!f.ok()) return f.status();
    free_ = *f;
    probed_ = now;
  }
  return free_;
}

absl::Status DiskGuard::Check(WriteClass cls) {
  if (reserve_ == 0) return absl::OkStatus();
  const uint64_t floor = cls == WriteClass::kData ? reserve_ : reserve_ / 2;
  absl::StatusOr<uint64_t> free = Probe(false);
  if (!free.ok()) return free.status();
  // A cached low figure is probed again: space freed is seen at once.
  if (*free < floor) free = Probe(true);
  if (!free.ok()) return free.status();
  if (*free >= floor) return absl::OkStatus();
  refused_.fetch_add(1);
  return absl::ResourceExhaustedError(absl::StrCat(
      "data_dir ", dir_, " has ", MiB(*free), " free, below the reserve of ", MiB(floor),
      " (min_free_disk_mb): writes are refused until space is freed; reads and sync of stored "
      "data go on"));
}

uint64_t DiskGuard::free_bytes() {
  absl::StatusOr<uint64_t> f = Probe(false);
  return f.ok() ? *f : 0;  // an unreadable figure shows as 0 (and Check reports the error)
}

bool DiskGuard::refusing() {
  if (reserve_ == 0) return false;
  absl::StatusOr<uint64_t> f = Probe(false);
  return !f.ok() || *f < reserve_;
}

}  // namespace ilp
