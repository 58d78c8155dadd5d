// File plumbing for the CA directory: whole-file reads, atomic writes that
// never expose a key with loose permissions, and a directory lock.
#ifndef ILP_SERVICES_PKI_INTERNAL_FILES_H_
#define ILP_SERVICES_PKI_INTERNAL_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ilp::pki::internal {

// The whole of `path`. NOT_FOUND if it does not exist, INTERNAL on other
// errors; both name the path.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Writes `content` to `path` through a temporary file in the same directory
// that is created with O_CREAT|O_EXCL and mode 0600 (mkstemp), chmod-ed to
// `mode`, fsync-ed and then moved into place, so readers see the old or the
// new file and never a partly written or briefly world-readable one.
// With `no_replace`, an existing `path` is left alone and the result is
// FAILED_PRECONDITION naming it; otherwise it is replaced.
ABSL_MUST_USE_RESULT absl::Status WriteFileAtomic(const std::string& path, absl::string_view content, mode_t mode,
                             bool no_replace);

// Creates directory `path` with `mode` if it does not exist (its parent must).
// FAILED_PRECONDITION if `path` exists and is not a directory.
ABSL_MUST_USE_RESULT absl::Status EnsureDir(const std::string& path, mode_t mode);

// An exclusive flock on DIR/.lock for the object's lifetime, so two ilpctl
// runs do not interleave index and CRL updates.
class DirLock {
 public:
  // Blocks until the lock is held. INTERNAL naming the file on failure.
  ABSL_MUST_USE_RESULT static absl::StatusOr<DirLock> Acquire(const std::string& dir);
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ilp::pki::internal

#endif  // ILP_SERVICES_PKI_INTERNAL_FILES_H_
