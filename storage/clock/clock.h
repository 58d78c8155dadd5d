// Physical time source, injectable so a whole hierarchy can run on fake time.
#ifndef ILP_STORAGE_CLOCK_CLOCK_H_
#define ILP_STORAGE_CLOCK_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ilp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch. Thread-safe.
  virtual int64_t NowMs() = 0;
};

// The machine's wall clock.
class SystemClock : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms) : now_(start_ms) {}
  int64_t NowMs() override { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }
  void Advance(int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace ilp

#endif  // ILP_STORAGE_CLOCK_CLOCK_H_
