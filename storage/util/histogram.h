// A lock-free latency histogram with fixed buckets, in the shape Prometheus
// exports (cumulative bucket counts, sum and count).
//
//   LatencyHistogram h;
//   h.Record(absl::Microseconds(350));
//   LatencyHistogram::Snapshot s = h.Take();
#ifndef ILP_STORAGE_UTIL_HISTOGRAM_H_
#define ILP_STORAGE_UTIL_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace ilp {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, seconds; a last bucket (+Inf) follows.
  static constexpr std::array<double, 12> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

  struct Snapshot {
    std::array<uint64_t, kBounds.size() + 1> buckets{};  // not cumulative; last = +Inf
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  void Record(absl::Duration d) {
    const double s = absl::ToDoubleSeconds(d);
    size_t i = 0;
    while (i < kBounds.size() && s > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<uint64_t>(absl::ToInt64Microseconds(d)), std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  Snapshot Take() const {
    Snapshot s;
    for (size_t i = 0; i < buckets_.size(); ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count = count_.load(std::memory_order_relaxed);
    s.sum_seconds = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace ilp

#endif  // ILP_STORAGE_UTIL_HISTOGRAM_H_
