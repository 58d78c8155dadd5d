#include "tests/bench/memory_sampler.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace ilp::bench {

MemorySampler::MemorySampler(Chain* chain, absl::Duration every)
    : chain_(chain), every_(every), thread_([this] { Run(); }) {}

MemorySampler::~MemorySampler() { Stop(); }

void MemorySampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void MemorySampler::Run() {
  while (!stop_) {
    for (int t = 0; t < 4 && !stop_; ++t) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::NodeStatus st;
      if (chain_->admin(t) == nullptr || !chain_->admin(t)->GetStatus(&ctx, v1::GetStatusRequest(), &st).ok()) {
        continue;  // stopped, restarting or busy: the next round samples it
      }
      const v1::StoreMemory& m = st.memory();
      std::lock_guard<std::mutex> l(mu_);
      Peak& p = peaks_[t];
      if (m.resident() >= p.at_peak.resident()) p.at_peak = m;
      p.max_memtables = std::max<uint64_t>(p.max_memtables, m.memtables());
      p.max_block_cache = std::max<uint64_t>(p.max_block_cache, m.block_cache());
      ++p.samples;
    }
    absl::SleepFor(every_);
  }
}

MemorySampler::Peak MemorySampler::peak(int tier) const {
  std::lock_guard<std::mutex> l(mu_);
  return peaks_[tier];
}

std::string MemorySampler::Describe(int tier) const {
  const Peak p = peak(tier);
  const v1::StoreMemory& m = p.at_peak;
  auto mib = [](uint64_t b) { return static_cast<double>(b) / (1 << 20); };
  const uint64_t store = std::max(m.block_cache(), m.memtables()) + m.table_readers();
  return absl::StrFormat(
      "%.1f resident: block cache %.1f (memtables %.1f of it), table readers %.1f, rest %.1f; "
      "budget %.0f; max memtables %.1f, max cache %.1f (%d samples)",
      mib(m.resident()), mib(m.block_cache()), mib(m.memtables()), mib(m.table_readers()),
      mib(m.resident() > store ? m.resident() - store : 0), mib(m.budget()), mib(p.max_memtables),
      mib(p.max_block_cache), p.samples);
}

}  // namespace ilp::bench
