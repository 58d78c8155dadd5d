// ilp-sim: runs seeds of the district simulation (tests/sim/simulation.h).
//
//   ilp-sim --seed 7                      # one seed, small district
//   ilp-sim --seed 1 --seeds 100 --size district
//
// Prints one line per seed; a failing seed prints its violations and the
// command that replays it. Exit 1 if any seed failed, 2 on bad flags.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "spdlog/spdlog.h"
#include "tests/sim/simulation.h"

int main(int argc, char** argv) {
  ilp::sim::SimOptions o;
  uint64_t seeds = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--trace") {
      o.trace = true;
      continue;
    }
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (v == nullptr) {
      std::fprintf(stderr, "%s: needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--seed") {
      o.seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--seeds") {
      seeds = std::strtoull(v, nullptr, 10);
    } else if (a == "--size") {
      o.size_name = v;
    } else if (a == "--days") {
      o.fault_days = std::atoi(v);
    } else {
      std::fprintf(
          stderr,
          "unknown flag %s (--seed N --seeds K --size tiny|small|district --days D --trace)\n",
          a.c_str());
      return 2;
    }
    ++i;
  }
  absl::StatusOr<ilp::sim::DistrictSize> size = ilp::sim::SizeByName(o.size_name);
  if (!size.ok() || o.fault_days < 1) {
    std::fprintf(stderr, "%s\n",
                 size.ok() ? "--days: must be at least 1" : size.status().ToString().c_str());
    return 2;
  }
  o.size = *size;
  spdlog::set_level(spdlog::level::err);  // quarantine warnings are expected here
  int failed = 0;
  const uint64_t first = o.seed;
  for (uint64_t s = first; s < first + seeds; ++s) {
    o.seed = s;
    ilp::sim::SimResult r = ilp::sim::RunSeed(o);
    std::printf("%s\n", r.Summary().c_str());
    for (const std::string& h : r.held_reasons) std::printf("  held: %s\n", h.c_str());
    if (!r.failures.empty()) {
      ++failed;
      for (const std::string& f : r.failures) std::printf("  %s\n", f.c_str());
      std::printf("  replay: %s\n  calls: %s\n", r.Replay().c_str(), r.calls.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%d of %llu seeds failed\n", failed, static_cast<unsigned long long>(seeds));
  return failed == 0 ? 0 : 1;
}
