// The exporter's frame: config lookups, the pass loop, queue filling and status.
#include "services/satusehat/exporter.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "storage/merge/merge.h"
#include "storage/util/status_macros.h"

namespace ilp::satusehat {
namespace {

// How many change-log entries one Fill step reads.
constexpr size_t kFillBatch = 1000;

bool Exportable(const v1::Record& r) {
  return r.has_encounter() || r.has_observation() || r.has_immunization() || r.has_referral();
}

}  // namespace

Exporter::Exporter(const v1::NodeConfig& cfg, Store* store, RecordsCore* records, Clock* clock,
                   HttpClient* http)
    : cfg_(cfg),
      store_(store),
      records_(records),
      clock_(clock),
      queue_(store, [this](const v1::ExportEntry& e, ApplyRequest* req) { return AddServerId(e, req); }) {
  for (const v1::SatusehatOrganization& o : cfg_.satusehat().organizations()) {
    auto org = std::make_unique<Org>();
    org->cfg = &o;
    org->client = std::make_unique<Client>(http, clock, cfg_.satusehat().base_url(), o.client_id(),
                                           o.client_secret_file());
    for (const v1::SatusehatPractitioner& p : o.practitioners()) org->practitioners[p.performer()] = p.ihs();
    for (const v1::SatusehatSite& s : o.sites()) sites_[s.node_id()] = Site{org.get(), &s};
    orgs_[o.org_ihs()] = std::move(org);
  }
}

Exporter::~Exporter() { Stop(); }

absl::StatusOr<const Exporter::Site*> Exporter::SiteOf(const v1::Record& r) const {
  std::string node;
  std::string encounter_id;
  if (r.has_encounter()) node = r.encounter().node();
  if (r.has_observation()) encounter_id = r.observation().encounter_id();
  if (r.has_immunization()) encounter_id = r.immunization().encounter_id();
  if (r.has_referral()) {
    encounter_id = r.referral().encounter_id();
    node = r.referral().from_node();
  }
  if (!encounter_id.empty()) {
    absl::StatusOr<v1::Record> enc = store_->Get(encounter_id);
    if (enc.ok() && enc->has_encounter()) node = enc->encounter().node();
    if (!enc.ok() && !absl::IsNotFound(enc.status())) return enc.status();
  }
  auto it = sites_.find(node);
  return it == sites_.end() ? nullptr : &it->second;
}

absl::Status Exporter::Fill() {
  ILP_ASSIGN_OR_RETURN(uint64_t cursor, queue_.Cursor());
  while (true) {
    ILP_ASSIGN_OR_RETURN(const std::vector<v1::Change> changes,
                         store_->ReadChanges(cursor, kFillBatch, 4 << 20));
    if (changes.empty()) return absl::OkStatus();
    std::vector<v1::ExportEntry> entries;
    for (const v1::Change& c : changes) {
      // A create carries the body; later deltas of the same record (an
      // entered-in-error mark, a referral move) are seen when it is sent.
      if (!Exportable(c.delta()) || !c.delta().has_created()) continue;
      ILP_ASSIGN_OR_RETURN(const v1::Record r, store_->Get(c.delta().id()));
      ILP_ASSIGN_OR_RETURN(const Site* site, SiteOf(r));
      if (site == nullptr) continue;  // not a site of an Organization this node exports for
      v1::ExportEntry e;
      e.set_record_id(r.id());
      e.set_kind(KindName(r));
      e.set_org_ihs(site->org->cfg->org_ihs());
      e.set_state(v1::EXPORT_PENDING);
      e.set_queued_ms(clock_->NowMs());
      e.set_updated_ms(e.queued_ms());
      entries.push_back(std::move(e));
    }
    cursor = changes.back().seq();
    ILP_RETURN_IF_ERROR(queue_.Enqueue(entries, cursor));
  }
}

absl::Status Exporter::RunOnce() {
  absl::MutexLock l(&run_mu_);
  absl::Status first = BackfillServerIds();
  if (first.ok()) first = Fill();
  std::vector<std::string> ids;
  if (first.ok()) {
    absl::StatusOr<std::vector<std::string>> send = queue_.ToSend();
    absl::StatusOr<std::vector<std::string>> held = queue_.Held();
    if (!send.ok()) first = send.status();
    if (!held.ok() && first.ok()) first = held.status();
    if (first.ok()) {
      // Held entries are re-checked first: an encounter released by a config
      // fix is then sent before the observations waiting on it.
      ids = *held;
      ids.insert(ids.end(), send->begin(), send->end());
    }
  }
  // An Organization a node below also exports is left to that node.
  std::map<std::string, std::string> yielded;
  if (exported_below_ && !ids.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> below = exported_below_();
    if (!below.ok()) {
      if (first.ok()) first = below.status();
      ids.clear();
    } else {
      for (const auto& [org, node] : *below) {
        if (orgs_.count(org) == 0) continue;
        yielded[org] = node;
        spdlog::warn("satusehat: not exporting Organization {}: node {} below this one exports it too; "
                     "one exporter per Organization, fix one of the two configs (ilpctl status)",
                     org, node);
      }
    }
  }
  const int64_t now = clock_->NowMs();
  std::map<std::string, absl::Status> org_down;  // an Organization whose pass stopped
  for (const std::string& id : ids) {
    {
      absl::MutexLock s(&state_mu_);
      if (stop_) break;
    }
    absl::StatusOr<v1::ExportEntry> e = queue_.Get(id);
    if (!e.ok()) {
      if (first.ok()) first = e.status();
      continue;
    }
    // An Organization taken out of the config keeps its entries, unsent.
    if (org_down.count(e->org_ihs()) || orgs_.count(e->org_ihs()) == 0 || yielded.count(e->org_ihs())) continue;
    if (e->next_attempt_ms() > now) continue;  // backoff, Retry-After or held_recheck_s
    // Sent (or rejected, skipped) earlier in this pass with its encounter's bundle.
    if (e->state() != v1::EXPORT_PENDING && e->state() != v1::EXPORT_IN_FLIGHT &&
        e->state() != v1::EXPORT_HELD) {
      continue;
    }
    const std::string org = e->org_ihs();
    absl::Status st = Process(*std::move(e));
    if (!st.ok()) {
      org_down[org] = st;
      if (first.ok()) first = st;
    }
  }
  absl::MutexLock s(&state_mu_);
  last_error_ = first.ok() ? "" : std::string(first.message());
  return first;
}

absl::StatusOr<int> Exporter::RetryHeld() {
  absl::MutexLock l(&run_mu_);
  ILP_ASSIGN_OR_RETURN(const std::vector<std::string> held, queue_.Held());
  for (const std::string& id : held) {
    ILP_ASSIGN_OR_RETURN(v1::ExportEntry e, queue_.Get(id));
    e.set_next_attempt_ms(0);
    ILP_RETURN_IF_ERROR(queue_.Put(e));
  }
  return static_cast<int>(held.size());
}

void Exporter::Loop() {
  const auto interval = std::chrono::seconds(cfg_.satusehat().interval_s());
  while (true) {
    absl::Status st = RunOnce();
    if (!st.ok()) spdlog::warn("satusehat export: {}", std::string(st.message()));
    absl::MutexLock l(&state_mu_);
    auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(state_mu_) { return stop_; };
    if (state_mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::FromChrono(interval))) return;
  }
}

void Exporter::Start() {
  {
    absl::MutexLock l(&state_mu_);
    stop_ = false;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void Exporter::Stop() {
  {
    absl::MutexLock l(&state_mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status Exporter::AddOldestAndReasons(v1::SatusehatStatusResponse* out) const {
  std::map<std::string, int64_t> oldest;  // org -> queued_ms of its oldest waiting entry
  ILP_ASSIGN_OR_RETURN(const std::vector<std::string> waiting, queue_.ToSend());
  for (const std::string& id : waiting) {
    ILP_ASSIGN_OR_RETURN(const v1::ExportEntry e, queue_.Get(id));
    auto [it, added] = oldest.emplace(e.org_ihs(), e.queued_ms());
    if (!added) it->second = std::min(it->second, e.queued_ms());
  }
  std::map<std::string, std::map<std::string, uint64_t>> reasons;  // org -> reason -> entries
  ILP_ASSIGN_OR_RETURN(const std::vector<v1::ExportEntry> problems,
                       queue_.Problems(std::numeric_limits<size_t>::max()));
  for (const v1::ExportEntry& e : problems) ++reasons[e.org_ihs()][e.reason()];
  constexpr size_t kTopReasons = 5;
  for (v1::OrgExportStatus& s : *out->mutable_orgs()) {
    if (auto it = oldest.find(s.org_ihs()); it != oldest.end()) s.set_oldest_pending_ms(it->second);
    std::vector<std::pair<std::string, uint64_t>> top(reasons[s.org_ihs()].begin(), reasons[s.org_ihs()].end());
    std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (top.size() > kTopReasons) top.resize(kTopReasons);
    for (const auto& [reason, n] : top) {
      v1::ReasonCount* r = s.add_top_reasons();
      r->set_reason(reason);
      r->set_count(n);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SatusehatStatusResponse> Exporter::Status(int limit) const {
  v1::SatusehatStatusResponse out;
  out.set_enabled(true);
  out.set_node_id(cfg_.node_id());
  ILP_ASSIGN_OR_RETURN(const v1::ExportCounts counts, queue_.Counts());
  for (const auto& [org_ihs, org] : orgs_) {
    v1::OrgExportStatus* s = out.add_orgs();
    s->set_org_ihs(org_ihs);
    s->set_puskesmas_node_id(org->cfg->puskesmas_node_id());
    auto it = counts.orgs().find(org_ihs);
    if (it == counts.orgs().end()) continue;
    auto n = [&](v1::ExportState st) -> uint64_t {
      auto f = it->second.by_state().find(st);
      return f == it->second.by_state().end() ? 0 : f->second;
    };
    s->set_pending(n(v1::EXPORT_PENDING) + n(v1::EXPORT_IN_FLIGHT));
    s->set_sent(n(v1::EXPORT_SENT));
    s->set_held(n(v1::EXPORT_HELD));
    s->set_rejected(n(v1::EXPORT_REJECTED));
    s->set_skipped(n(v1::EXPORT_SKIPPED));
  }
  if (limit >= 0) {
    ILP_RETURN_IF_ERROR(AddOldestAndReasons(&out));
    ILP_ASSIGN_OR_RETURN(const std::vector<v1::ExportEntry> problems,
                         queue_.Problems(limit > 0 ? static_cast<size_t>(limit) : 20));
    for (const v1::ExportEntry& e : problems) *out.add_problems() = e;
  }
  ILP_ASSIGN_OR_RETURN(const uint64_t cursor, queue_.Cursor());
  out.set_cursor(cursor);
  absl::MutexLock l(&state_mu_);
  out.set_last_error(last_error_);
  return out;
}

}  // namespace ilp::satusehat
