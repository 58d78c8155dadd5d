// Gives memory that glibc's malloc holds free back to the kernel.
//
// glibc returns freed memory to the kernel only from the top of a heap; what
// is freed in the middle (a flushed memtable's arena blocks, evicted cache
// blocks, a received batch) stays resident until malloc_trim(). On a district
// after 300,000 visits that was 52 MiB of 237 (gdb, malloc_info), and the
// "rest" beyond the store's budget grew with the store (docs/performance.md,
// "Memory beyond the budget"). Every period the trimmer compares the
// process's resident set with what malloc has in use; once the difference
// (free memory still resident, with the binary's pages and thread stacks)
// has grown by `threshold` over what the last trim left, it trims. An idle
// node costs a mallinfo2 and a read of /proc/self/statm a period.
#ifndef ILP_SERVICES_NODE_MALLOC_TRIMMER_H_
#define ILP_SERVICES_NODE_MALLOC_TRIMMER_H_

#include <cstddef>
#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/util/steady_wait.h"

namespace ilp {

class MallocTrimmer {
 public:
  // Trims once resident-but-free memory has grown by `threshold`.
  explicit MallocTrimmer(size_t threshold) : threshold_(threshold) {}
  ~MallocTrimmer() { Stop(); }
  MallocTrimmer(const MallocTrimmer&) = delete;
  MallocTrimmer& operator=(const MallocTrimmer&) = delete;

  // Looks once: trims if resident-but-free memory has grown by the threshold
  // since the last trim (or the first look). Returns whether it trimmed. Not
  // thread-safe; the thread of Start calls it, or a test does.
  bool Tick();
  // Calls Tick every `period` (on the steady clock: a wall clock set back
  // does not stretch it) on a thread of its own until Stop.
  void Start(absl::Duration period);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t trims() const { return trims_; }

 private:
  // Waits `period` or until Stop; true once stopped.
  bool WaitForStop(absl::Duration period) ABSL_LOCKS_EXCLUDED(mu_);
  // Resident bytes minus malloc's bytes in use; 0 if unreadable.
  static size_t Slack();

  const size_t threshold_;
  bool measured_ = false;
  size_t baseline_ = 0;  // the least slack since the last trim
  uint64_t trims_ = 0;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  SteadyCondVar wake_;
  std::thread thread_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_NODE_MALLOC_TRIMMER_H_
