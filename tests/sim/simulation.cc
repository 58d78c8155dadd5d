#include "tests/sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/sim/invariants.h"
#include "tests/sim/memory_link.h"
#include "tests/sim/workload.h"

namespace ilp::sim {
namespace {

constexpr int64_t kHourMs = 3'600'000, kDayMs = 24 * kHourMs;
constexpr int64_t kStartMs = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr int64_t k2019Ms = 1'559'347'200'000;   // 2019-06-01T00:00:00Z

// How a child's link to its parent behaves during the fault phase.
struct Link {
  enum Kind { kOnline, kFlaky, kDailyWindow, kAwayForWeeks } kind = kOnline;
  int every_h = 1;                       // kOnline: a session every this many hours
  int up_percent = 100;                  // kFlaky: chance the link is up in a given hour
  int window_hour = 0;                   // kDailyWindow/kAwayForWeeks: the hour a day it is up
  int away_from_day = 0, away_days = 0;  // kAwayForWeeks
};

class Run {
 public:
  explicit Run(const SimOptions& o) : o_(o), rng_(o.seed) { r_.options = o; }

  SimResult Go() {
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<District>> d =
        District::Open(o_.size, o_.seed, kStartMs, o_.max_batch_bytes);
    if (!d.ok()) {
      r_.failures.push_back(absl::StrCat("opening the district: ", d.status().ToString()));
      return r_;
    }
    d_ = std::move(*d);
    r_.nodes = d_->size();
    Workload work(d_.get(), &oracle_, &rng_);
    Checker check(d_.get(), &oracle_);
    work_ = &work;
    check_ = &check;
    PlanLinks();
    FaultPhase();
    if (r_.failures.empty() && check.failures().empty()) HealingPhase();
    if (r_.failures.empty() && check.failures().empty()) check.AtEnd();
    for (const std::string& f : check.failures()) r_.failures.push_back(f);
    r_.digest = check.digest();
    r_.acked_records = static_cast<int>(oracle_.origin.size());
    r_.referral_moves = static_cast<int>(oracle_.moves.size());
    r_.links = oracle_.links;
    r_.quarantined = check.quarantined();
    r_.held = check.held_acked();
    r_.held_reasons = check.held_reasons();
    for (const auto& [call, n] : oracle_.calls) absl::StrAppend(&r_.calls, call, "=", n, " ");
    r_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r_;
  }

 private:
  uint64_t Draw(uint64_t n) { return rng_() % n; }
  void Fail(std::string what) { r_.failures.push_back(std::move(what)); }

  void PlanLinks() {
    links_.resize(d_->size());
    for (int i = 1; i < d_->size(); ++i) {
      Link& l = links_[i];
      const int r = static_cast<int>(Draw(100));
      const v1::Tier t = d_->node(i).tier;
      // Puskesmas mostly online; posyandu mostly minutes a day or gone for weeks.
      const int online = t == v1::PUSKESMAS ? 60 : t == v1::PUSTU ? 20 : 5;
      const int flaky = online + (t == v1::POSYANDU ? 20 : 30);
      const int window = flaky + (t == v1::PUSKESMAS ? 0 : 30);
      l.kind = r < online   ? Link::kOnline
               : r < flaky  ? Link::kFlaky
               : r < window ? Link::kDailyWindow
                            : Link::kAwayForWeeks;
      l.every_h = 1 + static_cast<int>(Draw(t == v1::POSYANDU ? 12 : 4));
      l.up_percent = 5 + static_cast<int>(Draw(40));
      l.window_hour = static_cast<int>(Draw(24));
      l.away_from_day = static_cast<int>(Draw(std::max(1, o_.fault_days - 3)));
      l.away_days = 7 + static_cast<int>(Draw(15));
    }
  }

  bool Up(int i, int hour) {
    const Link& l = links_[i];
    const int day = hour / 24;
    switch (l.kind) {
      case Link::kOnline:
        return hour % l.every_h == 0;
      case Link::kFlaky:
        return static_cast<int>(Draw(100)) < l.up_percent;
      case Link::kAwayForWeeks:
        if (day >= l.away_from_day && day < l.away_from_day + l.away_days) return false;
        [[fallthrough]];
      case Link::kDailyWindow:
        return hour % 24 == l.window_hour;
    }
    return false;
  }

  template <typename... Args>
  void Trace(const absl::FormatSpec<Args...>& f, const Args&... args) {
    if (!o_.trace) return;
    std::printf("  [t=%lld h] %s\n", static_cast<long long>((d_->now_ms() - kStartMs) / kHourMs),
                absl::StrFormat(f, args...).c_str());
  }
  std::string Meta(int i, const std::string& key) {
    return d_->node(i).core.store->GetMeta(key).value_or("-");
  }

  void Crash(int i) {
    if (o_.trace)
      Trace("power cut at %s (head %d)", d_->node(i).id, d_->node(i).core.store->LastSeq());
    absl::StatusOr<uint64_t> dropped = d_->CrashAndRestart(i);
    if (!dropped.ok()) {
      return Fail(
          absl::StrCat(d_->node(i).id, ": restart after a crash: ", dropped.status().ToString()));
    }
    if (o_.trace)
      Trace("restarted %s (head %d)", d_->node(i).id, d_->node(i).core.store->LastSeq());
    ++r_.crashes;
    r_.dropped_bytes += *dropped;
    check_->AfterRestart(i);
  }

  void TraceSession(int c, int p, const SessionResult& s) {
    const std::string& id = d_->node(c).id;
    Trace(
        "session %s: %d messages%s; up %d batches, parent cursor %s of head %d (acked %s); "
        "down %d batches, cursor %s of head %d; child %s; parent %s",
        id, s.messages, s.cut ? " (cut)" : "", s.up.size(), Meta(p, "cursor/up/" + id),
        d_->node(c).core.store->LastSeq(), Meta(c, "acked/up"), s.down.size(),
        Meta(c, "cursor/down"), d_->node(p).core.store->LastSeq(), s.child.ToString(),
        s.parent.ToString());
  }

  // One session of child `c`; returns the changes it moved.
  uint64_t Session(int c, int cut_after) {
    const int p = d_->node(c).parent;
    const uint64_t q = d_->node(p).core.store->QuarantineCount();
    SessionResult s = RunSession(d_->node(c).core.sync.get(), d_->node(p).core.sync.get(),
                                 d_->node(c).id, LinkFaults{cut_after});
    ++r_.sessions;
    r_.cuts += s.cut;
    if (o_.trace) TraceSession(c, p, s);
    if (!s.cut && (!s.child.ok() || !s.parent.ok())) {
      Fail(absl::StrCat(d_->node(c).id, ": session failed on a sound link: child ",
                        s.child.ToString(), ", parent ", s.parent.ToString()));
    }
    check_->AfterSession(c, s, q);
    uint64_t moved = 0;
    for (const auto& b : s.up) moved += b.count();
    for (const auto& b : s.down) moved += b.count();
    if (s.cut && Draw(100) < 30) Crash(Draw(2) == 0 ? c : p);  // power cut mid-session
    return moved;
  }

  void ClockFaults() {
    for (int i = 1; i < d_->size(); ++i) {
      SimNode& n = d_->node(i);
      const uint64_t r = Draw(1000);
      if (n.clock_offset_ms != 0 && r < 300) {
        n.clock_offset_ms = 0;  // someone set the date right
      } else if (n.clock_offset_ms == 0 && r < 10) {
        n.clock_offset_ms = Draw(2) == 0 ? k2019Ms - d_->now_ms() : 365 * kDayMs;
        ++r_.clock_faults;
        Trace("clock of %s off by %d days", n.id, n.clock_offset_ms / kDayMs);
      }
    }
  }

  void FaultPhase() {
    const int ops = 1 + d_->size() / 25;
    std::vector<int> order;
    for (int i = 1; i < d_->size(); ++i) order.push_back(i);
    for (int hour = 0; hour < o_.fault_days * 24 && r_.failures.empty(); ++hour) {
      if (hour % 24 == 0) {
        ClockFaults();
        if (absl::Status s = work_->LinkDuplicates(); !s.ok()) Fail(s.ToString());
        check_->Sweep();
        if (!check_->failures().empty()) return;
      }
      d_->SetTime(kStartMs + hour * kHourMs);
      for (int k = 0; k < ops; ++k) {
        if (absl::Status s = work_->Step(); !s.ok()) return Fail(s.ToString());
      }
      std::shuffle(order.begin(), order.end(), rng_);
      for (int c : order) {
        if (!Up(c, hour)) continue;
        Session(c, Draw(100) < 20 ? static_cast<int>(Draw(16)) : -1);
      }
      if (static_cast<int>(Draw(600)) < d_->size()) Crash(static_cast<int>(Draw(d_->size())));
    }
  }

  void HealingPhase() {
    int64_t t = kStartMs + o_.fault_days * kDayMs;
    for (int round = 1; round <= 8; ++round) {
      r_.heal_rounds = round;
      d_->SetTime(t += kHourMs);
      uint64_t moved = 0;
      for (int c = d_->size() - 1; c > 0; --c) moved += Session(c, -1);  // children before parents
      if (absl::Status s = work_->LinkDuplicates(); !s.ok()) return Fail(s.ToString());
      for (int c = 1; c < d_->size(); ++c) moved += Session(c, -1);  // parents before children
      if (!r_.failures.empty() || !check_->failures().empty()) return;
      if (moved == 0 && oracle_.unlinked.empty()) return;
    }
    Fail(absl::StrCat("the district did not settle in 8 healing rounds (", oracle_.unlinked.size(),
                      " duplicates unlinked)"));
  }

  const SimOptions o_;
  std::mt19937_64 rng_;
  SimResult r_;
  std::unique_ptr<District> d_;
  Oracle oracle_;
  Workload* work_ = nullptr;
  Checker* check_ = nullptr;
  std::vector<Link> links_;
};

}  // namespace

std::string SimResult::Summary() const {
  return absl::StrFormat(
      "seed %d size %s (%d nodes, %d days): %s, %d sessions (%d cut), %d crashes (%d unsynced "
      "bytes dropped), %d clock faults, %d acknowledged records, %d referral moves, %d links, "
      "%d quarantined (%d acknowledged held), healed in %d rounds, digest %016x, %.1f s",
      options.seed, options.size_name, nodes, options.fault_days,
      failures.empty() ? "ok" : "FAILED", sessions, cuts, crashes, dropped_bytes, clock_faults,
      acked_records, referral_moves, links, quarantined, held, heal_rounds, digest, seconds);
}

std::string SimResult::Replay() const {
  return absl::StrFormat("build/bin/ilp-sim --seed %d --size %s --days %d", options.seed,
                         options.size_name, options.fault_days);
}

SimResult RunSeed(const SimOptions& options) { return Run(options).Go(); }

}  // namespace ilp::sim
