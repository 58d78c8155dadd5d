#include "services/pki/internal/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ilp::pki::internal {
namespace {

// INTERNAL "<what> <path>: <strerror(errno)>".
absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// fsyncs the directory holding `path`, so a rename or link in it is durable.
void SyncParent(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the data itself is already synced
  fsync(fd);
  close(fd);
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return Errno("cannot open", path);
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::Status WriteFileAtomic(const std::string& path, absl::string_view content, mode_t mode,
                             bool no_replace) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());  // O_CREAT|O_EXCL, mode 0600
  if (fd < 0) return Errno("cannot create a temporary file for", path);
  absl::Status s;
  size_t done = 0;
  while (s.ok() && done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Errno("cannot write", tmp);
    else done += static_cast<size_t>(n);
  }
  if (s.ok() && fchmod(fd, mode) != 0) s = Errno("cannot chmod", tmp);
  if (s.ok() && fsync(fd) != 0) s = Errno("cannot fsync", tmp);
  close(fd);
  if (s.ok() && no_replace) {
    // link() fails with EEXIST instead of replacing: O_EXCL for the final name.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      s = errno == EEXIST ? absl::FailedPreconditionError(absl::StrCat(path, " already exists"))
                          : Errno("cannot create", path);
    }
    unlink(tmp.c_str());
  } else if (s.ok()) {
    if (rename(tmp.c_str(), path.c_str()) != 0) s = Errno("cannot rename into", path);
  }
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  SyncParent(path);
  return absl::OkStatus();
}

absl::Status EnsureDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) return absl::OkStatus();
  if (errno != EEXIST) return Errno("cannot create directory", path);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DirLock> DirLock::Acquire(const std::string& dir) {
  const std::string path = dir + "/.lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", path);
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    absl::Status s = Errno("cannot lock", path);
    close(fd);
    return s;
  }
  return DirLock(fd);
}

DirLock::~DirLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

}  // namespace ilp::pki::internal
