#include "services/node/malloc_trimmer.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace ilp {

size_t MallocTrimmer::Slack() {
  // In use: chunks in the arenas and mmapped ones (those go back on free).
  const struct mallinfo2 m = mallinfo2();
  const size_t in_use = m.uordblks + m.hblkhd;
  unsigned long size = 0, resident = 0;  // pages
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  const bool read = std::fscanf(f, "%lu %lu", &size, &resident) == 2;
  std::fclose(f);
  const size_t rss = read ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
  return rss > in_use ? rss - in_use : 0;
}

bool MallocTrimmer::Tick() {
  const size_t slack = Slack();
  if (!measured_ || slack < baseline_) {
    measured_ = true;
    baseline_ = slack;
    return false;
  }
  if (slack - baseline_ < threshold_) return false;
  malloc_trim(0);
  ++trims_;
  baseline_ = Slack();
  return true;
}

void MallocTrimmer::Start(absl::Duration period) {
  thread_ = std::thread([this, period] {
    while (!WaitForStop(period)) Tick();
  });
}

bool MallocTrimmer::WaitForStop(absl::Duration period) {
  absl::MutexLock l(&mu_);
  return wake_.WaitFor(&mu_, period, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; });
}

void MallocTrimmer::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ilp
