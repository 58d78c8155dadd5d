// The exporter's steps for one queue entry: prepare the resource (or say why
// not), send it exactly once, store the outcome. See exporter.h for the rules.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "google/protobuf/util/time_util.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/fhir/builders.h"
#include "services/fhir/systems.h"
#include "services/fhir/validate.h"
#include "services/satusehat/exporter.h"
#include "spdlog/spdlog.h"
#include "storage/merge/view.h"
#include "storage/store/keys.h"
#include "storage/util/status_macros.h"

namespace ilp::satusehat {
namespace {

using google::protobuf::util::TimeUtil;

// FHIR type and identifier kind of an entry's record kind.
const char* FhirType(const std::string& kind) {
  if (kind == "encounter") return "Encounter";
  if (kind == "observation") return "Observation";
  if (kind == "immunization") return "Immunization";
  return "ServiceRequest";
}

std::string IdentifierKind(const std::string& kind) {
  return kind == "referral" ? "servicerequest" : kind;
}

bool IsPosyanduKind(v1::EncounterKind k) {
  return k == v1::POSYANDU_SESSION || k == v1::HOME_VISIT_ROUTINE || k == v1::HOME_VISIT_SPECIAL ||
         k == v1::HOME_VISIT_JOINT;
}

}  // namespace

int64_t Exporter::Backoff(int attempts, int64_t retry_after_ms) {
  int64_t wait = 30'000;
  for (int i = 1; i < attempts && wait < 3'600'000; ++i) wait *= 2;
  wait = std::min<int64_t>(wait, 3'600'000);
  return clock_->NowMs() + std::max(wait, retry_after_ms);
}

std::string Exporter::ServerIdSystem(const std::string& kind) const {
  return ResourceEndpoint(cfg_.satusehat().base_url(), FhirType(kind));
}

absl::Status Exporter::AddServerId(const v1::ExportEntry& e, ApplyRequest* req) {
  if (e.server_id().empty()) return absl::OkStatus();
  absl::StatusOr<v1::Record> d = records_->ExternalIdDelta(e.record_id(), ServerIdSystem(e.kind()), e.server_id());
  if (absl::IsNotFound(d.status()) || absl::IsInvalidArgument(d.status()) ||
      absl::IsFailedPrecondition(d.status())) {
    spdlog::warn("satusehat: {} {}: its server id is not put on the record ({})", e.kind(), e.record_id(),
                 absl::StatusCodeToString(d.status().code()));
    return absl::OkStatus();
  }
  if (!d.ok()) return d.status();
  req->deltas.push_back(*std::move(d));
  req->hlc_high_water = records_->HlcHighWater();
  return absl::OkStatus();
}

absl::Status Exporter::BackfillServerIds() {
  constexpr char kDoneKey[] = "satusehat/server_ids_backfilled";
  constexpr size_t kPage = 500;
  absl::StatusOr<std::string> done = store_->GetMeta(kDoneKey);
  if (done.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(done.status())) return done.status();
  std::string after;
  size_t added = 0;
  while (true) {
    ILP_ASSIGN_OR_RETURN(const std::vector<v1::ExportEntry> page, queue_.Page(after, kPage));
    ApplyRequest req;
    for (const v1::ExportEntry& e : page) {
      if (e.state() != v1::EXPORT_SENT || e.server_id().empty()) continue;
      absl::StatusOr<v1::Record> r = store_->Get(e.record_id());
      if (absl::IsNotFound(r.status())) continue;
      if (!r.ok()) return r.status();
      const std::string system = ServerIdSystem(e.kind());
      const bool has = std::any_of(r->external_ids().begin(), r->external_ids().end(), [&](const v1::ExternalId& x) {
        return x.system() == system && x.value() == e.server_id();
      });
      if (!has) ILP_RETURN_IF_ERROR(AddServerId(e, &req));
    }
    added += req.deltas.size();
    if (page.size() < kPage) req.meta.emplace_back(kDoneKey, "1");
    if (!req.deltas.empty() || !req.meta.empty()) ILP_RETURN_IF_ERROR(store_->Apply(std::move(req)).status());
    if (page.size() < kPage) break;
    after = page.back().record_id();
  }
  if (added > 0) spdlog::info("satusehat: put the server ids of {} records sent earlier on the records", added);
  return absl::OkStatus();
}

absl::Status Exporter::Move(v1::ExportEntry e, v1::ExportState state, const std::string& reason) {
  e.set_state(state);
  e.set_reason(reason);
  e.set_updated_ms(clock_->NowMs());
  return queue_.Put(e);
}

std::string Exporter::PractitionerIhs(const v1::Encounter& enc, const Site& site,
                                      std::string* held) const {
  auto it = site.org->practitioners.find(enc.performer());
  if (it != site.org->practitioners.end()) return it->second;
  // A kader has no Practitioner IHS number: the visit is credited to the
  // health worker who supervises the site.
  if (!site.cfg->supervisor_practitioner_ihs().empty()) return site.cfg->supervisor_practitioner_ihs();
  *held = absl::StrCat("no practitioner for ", IsPosyanduKind(enc.kind()) ? "posyandu " : "site ",
                       site.cfg->node_id(),
                       ": the performer has no IHS number and no supervisor_practitioner_ihs is configured");
  return "";
}

absl::StatusOr<std::string> Exporter::PatientIhs(const std::string& patient_id, Org& org,
                                                 std::string* held) {
  v1::GetPatientRequest get;
  get.set_id(patient_id);
  get.set_resolve_links(true);
  absl::StatusOr<v1::Patient> p = records_->GetPatient(get);
  if (absl::IsNotFound(p.status())) {
    *held = absl::StrCat("no IHS number for patient ", patient_id, ": the patient is not on this node");
    return std::string();
  }
  if (!p.ok()) return p.status();
  if (std::string ihs = fhir::PatientIhs(*p); !ihs.empty()) return ihs;
  absl::StatusOr<std::string> ident = fhir::PatientSearchIdentifier(*p);
  if (!ident.ok()) {
    *held = absl::StrCat("no IHS number for patient ", p->id(), ": it has no NIK and no nik-ibu");
    return std::string();
  }
  absl::StatusOr<std::optional<std::string>> found = org.client->FindPatient(*ident);
  if (absl::IsFailedPrecondition(found.status())) {
    *held = absl::StrCat("no IHS number for patient ", p->id(), ": ", found.status().message());
    return std::string();
  }
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    *held = absl::StrCat("no IHS number for patient ", p->id(),
                         ": SATUSEHAT has no patient with its NIK (register the patient first)");
    return std::string();
  }
  // Stored back through the Records API: the identifier set gains IHS and
  // replicates like any edit; the rules check the server's value.
  v1::UpdatePatientRequest up;
  *up.mutable_patient() = *p;
  v1::Identifier* id = up.mutable_patient()->add_identifiers();
  id->set_system(v1::IHS);
  id->set_value(**found);
  id->set_verified(true);
  up.mutable_update_mask()->add_paths("identifiers");
  absl::StatusOr<v1::Patient> updated = records_->UpdatePatient(up);
  if (absl::IsInvalidArgument(updated.status())) {
    *held = absl::StrCat("no IHS number for patient ", p->id(), ": SATUSEHAT returned an invalid one");
    return std::string();
  }
  if (!updated.ok()) return updated.status();
  spdlog::info("satusehat: patient {} got its IHS number from SATUSEHAT", p->id());
  return **found;
}

absl::StatusOr<Exporter::Prepared> Exporter::Prepare(const v1::ExportEntry& e, Org& org,
                                                    const std::string& encounter_urn) {
  Prepared out;
  out.type = FhirType(e.kind());
  ILP_ASSIGN_OR_RETURN(const v1::Record r, store_->Get(e.record_id()));
  if (r.has_error()) {
    out.kind = Prepared::kSkip;
    return out;
  }
  // The encounter this record belongs to (itself for an encounter).
  const std::string encounter_id =
      r.has_encounter() ? r.id()
      : r.has_observation() ? r.observation().encounter_id()
      : r.has_immunization() ? r.immunization().encounter_id()
      : r.referral().encounter_id();
  if (encounter_id.empty()) {
    out.reason = absl::StrCat(e.kind(), " ", e.record_id(), " has no encounter; SATUSEHAT requires ",
                              out.type, ".encounter");
    return out;
  }
  absl::StatusOr<v1::Record> enc_rec = r.has_encounter() ? r : store_->Get(encounter_id);
  if (absl::IsNotFound(enc_rec.status()) || (enc_rec.ok() && !enc_rec->has_encounter())) {
    out.reason = absl::StrCat("encounter ", encounter_id, " is not on this node");
    return out;
  }
  if (!enc_rec.ok()) return enc_rec.status();
  const v1::Encounter enc = EncounterView(*enc_rec);
  auto site_it = sites_.find(enc.node());
  if (site_it == sites_.end() || site_it->second.org != &org) {
    out.reason = absl::StrCat("encounter ", encounter_id, " is not at a site of organization ", e.org_ihs());
    return out;
  }
  const Site& site = site_it->second;
  std::string encounter_server_id;
  if (!r.has_encounter() && encounter_urn.empty()) {
    absl::StatusOr<v1::ExportEntry> enc_entry = queue_.Get(encounter_id);
    if (!enc_entry.ok() && !absl::IsNotFound(enc_entry.status())) return enc_entry.status();
    if (!enc_entry.ok() || enc_entry->state() == v1::EXPORT_HELD ||
        enc_entry->state() == v1::EXPORT_REJECTED || enc_entry->state() == v1::EXPORT_SKIPPED) {
      out.reason = absl::StrCat("encounter ", encounter_id, " is not sent (",
                                enc_entry.ok() ? v1::ExportState_Name(enc_entry->state()) : "not queued", ")");
      return out;
    }
    if (enc_entry->state() != v1::EXPORT_SENT) {
      out.kind = Prepared::kWait;  // goes right after its encounter
      return out;
    }
    encounter_server_id = enc_entry->server_id();
  }
  std::string held;
  const std::string practitioner = PractitionerIhs(enc, site, &held);
  if (practitioner.empty()) {
    out.reason = held;
    return out;
  }
  const std::string patient_id = r.has_encounter() ? enc.patient_id()
                                 : r.has_observation() ? r.observation().patient_id()
                                 : r.has_immunization() ? r.immunization().patient_id()
                                 : r.referral().patient_id();
  ILP_ASSIGN_OR_RETURN(const std::string patient_ihs, PatientIhs(patient_id, org, &held));
  if (patient_ihs.empty()) {
    out.reason = held;
    return out;
  }
  const fhir::ClinicalContext ctx{e.org_ihs(), patient_ihs, practitioner, encounter_server_id,
                                  TimeUtil::TimestampToMilliseconds(enc.time()), encounter_urn};
  absl::StatusOr<nlohmann::json> built =
      r.has_encounter()
          ? fhir::BuildEncounter(enc, fhir::EncounterContext{e.org_ihs(), patient_ihs, practitioner,
                                                             site.cfg->location_ihs(), site.cfg->name()})
      : r.has_observation()  ? fhir::BuildObservation(ObservationView(r), ctx)
      : r.has_immunization() ? fhir::BuildImmunization(ImmunizationView(r), ctx)
                             : fhir::BuildServiceRequest(ReferralView(r), ctx);
  if (!built.ok()) {
    out.reason = std::string(built.status().message());
    return out;
  }
  if (std::vector<std::string> problems = encounter_urn.empty()
                                               ? fhir::ValidateForSatusehat(*built)
                                               : fhir::ValidateBundleMember(*built, encounter_urn);
      !problems.empty()) {
    out.reason = absl::StrJoin(problems, "; ");
    return out;
  }
  out.kind = Prepared::kReady;
  out.resource = *std::move(built);
  return out;
}

absl::Status Exporter::Process(v1::ExportEntry e) {
  Org& org = *orgs_.at(e.org_ihs());
  ILP_ASSIGN_OR_RETURN(const Prepared p, Prepare(e, org));
  if (p.kind == Prepared::kWait) return absl::OkStatus();
  if (e.state() == v1::EXPORT_IN_FLIGHT && p.kind != Prepared::kReady) {
    // The last POST's outcome is unknown: settle it before holding or skipping.
    ILP_ASSIGN_OR_RETURN(const bool sent,
                         e.kind() == "encounter" ? SettleBundle(e, org) : Settle(e, p.type, org));
    if (sent) return absl::OkStatus();
  }
  switch (p.kind) {
    case Prepared::kSkip:
      return Move(e, v1::EXPORT_SKIPPED, "entered-in-error before it was sent");
    case Prepared::kHeld:
      if (e.state() != v1::EXPORT_HELD || e.reason() != p.reason) {
        spdlog::info("satusehat: {} {} held back", e.kind(), e.record_id());
      }
      e.set_next_attempt_ms(clock_->NowMs() + int64_t{cfg_.satusehat().held_recheck_s()} * 1000);
      return Move(e, v1::EXPORT_HELD, p.reason);
    default:
      // An encounter takes its unsent observations and immunizations along
      // in one transaction Bundle; the rest (and late arrivals) go alone.
      if (e.kind() == "encounter") return SendBundle(std::move(e), p, org);
      return Send(std::move(e), p, org);
  }
}

absl::StatusOr<std::vector<v1::ExportEntry>> Exporter::BundleMembers(const v1::ExportEntry& enc) {
  std::vector<v1::ExportEntry> out;
  ILP_ASSIGN_OR_RETURN(const v1::Record enc_rec, store_->Get(enc.record_id()));
  if (!enc_rec.has_encounter()) return out;
  const std::string patient_id = EncounterView(enc_rec).patient_id();
  if (patient_id.empty()) return out;
  for (const char* kind : {"observation", "immunization"}) {
    ILP_ASSIGN_OR_RETURN(const std::vector<std::string> ids,
                         store_->ScanIndex(IndexKey('p', {patient_id, kind, ""}), SIZE_MAX));
    for (const std::string& id : ids) {
      absl::StatusOr<v1::Record> r = store_->Get(id);
      if (absl::IsNotFound(r.status())) continue;
      if (!r.ok()) return r.status();
      const std::string of = r->has_observation()    ? r->observation().encounter_id()
                             : r->has_immunization() ? r->immunization().encounter_id()
                                                     : "";
      if (of != enc.record_id()) continue;
      absl::StatusOr<v1::ExportEntry> m = queue_.Get(id);
      if (absl::IsNotFound(m.status())) continue;  // not queued (yet): goes alone later
      if (!m.ok()) return m.status();
      if (m->org_ihs() != enc.org_ihs()) continue;
      if (m->state() == v1::EXPORT_PENDING || m->state() == v1::EXPORT_IN_FLIGHT ||
          m->state() == v1::EXPORT_HELD) {
        out.push_back(*std::move(m));
      }
    }
  }
  return out;
}

absl::StatusOr<bool> Exporter::SettleBundle(const v1::ExportEntry& e, Org& org) {
  ILP_ASSIGN_OR_RETURN(const bool sent, Settle(e, "Encounter", org));
  if (!sent) return false;
  // The transaction is atomic: the members in flight with it are there too.
  // One not found stays IN_FLIGHT; its own pass searches again before it
  // would go alone.
  ILP_ASSIGN_OR_RETURN(const std::vector<v1::ExportEntry> members, BundleMembers(e));
  for (const v1::ExportEntry& m : members) {
    if (m.state() != v1::EXPORT_IN_FLIGHT) continue;
    ILP_ASSIGN_OR_RETURN(const bool found, Settle(m, FhirType(m.kind()), org));
    if (!found) spdlog::warn("satusehat: {} {} not found after its encounter's transaction", m.kind(), m.record_id());
  }
  return true;
}

absl::Status Exporter::HoldAll(std::vector<v1::ExportEntry> all, const std::map<std::string, std::string>& reasons,
                               const std::string& fallback) {
  const int64_t now = clock_->NowMs();
  for (v1::ExportEntry& m : all) {
    auto it = reasons.find(m.record_id());
    m.set_state(v1::EXPORT_HELD);
    m.set_reason(it == reasons.end() ? fallback : it->second);
    m.set_updated_ms(now);
    m.set_next_attempt_ms(now + int64_t{cfg_.satusehat().held_recheck_s()} * 1000);
  }
  if (!all.empty()) spdlog::info("satusehat: encounter {} held back with its bundle ({} entries)", all[0].record_id(), all.size());
  return queue_.PutAll(all);
}

absl::Status Exporter::SendBundle(v1::ExportEntry e, const Prepared& p, Org& org) {
  if (e.state() == v1::EXPORT_IN_FLIGHT) {
    // The last transaction's outcome is unknown: ask before sending again.
    ILP_ASSIGN_OR_RETURN(const bool sent, SettleBundle(e, org));
    if (sent) return absl::OkStatus();
  }
  ILP_ASSIGN_OR_RETURN(const std::vector<v1::ExportEntry> members, BundleMembers(e));
  std::vector<v1::ExportEntry> all = {e};  // the encounter, then the members that go with it
  std::vector<fhir::BundleEntry> built;
  std::map<std::string, std::string> held;  // record id -> reason
  std::vector<std::string> why;             // "<kind> <id>: <reason>" of each held member
  const std::string enc_not_sent = absl::StrCat("encounter ", e.record_id(), " is not sent (EXPORT_HELD)");
  absl::StatusOr<std::string> urn = fhir::RecordUrn(e.record_id());
  if (!urn.ok()) return HoldAll(all, {{e.record_id(), std::string(urn.status().message())}}, "");
  for (const v1::ExportEntry& m : members) {
    ILP_ASSIGN_OR_RETURN(const Prepared mp, Prepare(m, org, *urn));
    if (m.state() == v1::EXPORT_IN_FLIGHT && mp.kind != Prepared::kReady) {
      // Not in the last transaction (its encounter is not there), but settle
      // it anyway before holding or skipping, as Process does.
      ILP_ASSIGN_OR_RETURN(const bool sent, Settle(m, mp.type, org));
      if (sent) continue;
    }
    switch (mp.kind) {
      case Prepared::kSkip:
        ILP_RETURN_IF_ERROR(Move(m, v1::EXPORT_SKIPPED, "entered-in-error before it was sent"));
        continue;
      case Prepared::kWait:
        continue;  // cannot happen with an urn; it would go alone later
      case Prepared::kHeld:
        held[m.record_id()] = mp.reason;
        why.push_back(absl::StrCat(m.kind(), " ", m.record_id(), ": ", mp.reason));
        break;
      case Prepared::kReady:
        built.push_back(fhir::BundleEntry{m.record_id(), mp.resource});
        break;
    }
    all.push_back(m);
  }
  // Sent whole or held back whole: one member that cannot be made valid
  // holds the Encounter and every other member with it.
  if (!held.empty()) {
    held[e.record_id()] = absl::StrCat("held back with its bundle: ", absl::StrJoin(why, "; "));
    return HoldAll(std::move(all), held, enc_not_sent);
  }
  absl::StatusOr<nlohmann::json> bundle = fhir::BuildTransactionBundle({e.record_id(), p.resource}, built);
  if (!bundle.ok()) {
    return HoldAll(std::move(all), {{e.record_id(), std::string(bundle.status().message())}}, enc_not_sent);
  }
  if (std::vector<std::string> problems = fhir::ValidateTransactionBundle(*bundle); !problems.empty()) {
    return HoldAll(std::move(all), {{e.record_id(), absl::StrJoin(problems, "; ")}}, enc_not_sent);
  }
  // Durable before the POST, all entries in one batch.
  for (v1::ExportEntry& m : all) {
    m.set_attempts(m.attempts() + 1);
    m.set_next_attempt_ms(Backoff(m.attempts(), 0));
    m.set_state(v1::EXPORT_IN_FLIGHT);
    m.set_reason("");
    m.set_updated_ms(clock_->NowMs());
  }
  ILP_RETURN_IF_ERROR(queue_.PutAll(all));
  absl::StatusOr<CreateResult> r = org.client->Transaction(*bundle);
  if (!r.ok()) return r.status();  // all stay IN_FLIGHT: the encounter is searched for next time
  const int64_t now = clock_->NowMs();
  auto stamp = [&](v1::ExportEntry& m, v1::ExportState state, const std::string& reason) {
    m.set_state(state);
    m.set_reason(reason);
    m.set_updated_ms(now);
  };
  switch (r->kind) {
    case CreateResult::kCreated:
      if (r->server_ids.size() != all.size()) {
        return absl::InternalError("transaction: server ids do not match the bundle's entries");
      }
      for (size_t i = 0; i < all.size(); ++i) {
        all[i].set_server_id(r->server_ids[i]);
        stamp(all[i], v1::EXPORT_SENT, "");
      }
      spdlog::info("satusehat: encounter {} sent with {} more entries in one transaction as Encounter/{}",
                   e.record_id(), all.size() - 1, r->server_ids[0]);
      return queue_.PutAll(all);
    case CreateResult::kDuplicate: {
      // Refused whole: something in it is there already. Each entry found by
      // identifier is SENT; the rest go again (alone, once the encounter is).
      std::vector<v1::ExportEntry> found;
      for (v1::ExportEntry& m : all) {
        const std::string type = FhirType(m.kind());
        ILP_ASSIGN_OR_RETURN(std::optional<std::string> id,
                             org.client->FindByIdentifier(
                                 type, fhir::OrgIdentifierSystem(IdentifierKind(m.kind()), m.org_ihs()),
                                 m.record_id()));
        if (id) {
          m.set_server_id(*id);
          stamp(m, v1::EXPORT_SENT, "");
          found.push_back(m);
        } else {
          m.set_next_attempt_ms(0);
          stamp(m, v1::EXPORT_PENDING, "");
        }
      }
      if (found.empty()) {
        return absl::UnavailableError(absl::StrCat("transaction of encounter ", e.record_id(),
                                                   ": duplicate, yet nothing in it found by identifier"));
      }
      spdlog::info("satusehat: encounter {} transaction refused as duplicate; {} of {} entries already in SATUSEHAT",
                   e.record_id(), found.size(), all.size());
      return queue_.PutAll(all);
    }
    case CreateResult::kRejected:
      spdlog::warn("satusehat: encounter {} transaction rejected ({})", e.record_id(), r->reason.substr(0, 8));
      for (v1::ExportEntry& m : all) stamp(m, v1::EXPORT_REJECTED, r->reason);
      return queue_.PutAll(all);
    case CreateResult::kRetry:
      // A 429 was not applied; a 5xx may have been, so they stay in flight.
      for (v1::ExportEntry& m : all) {
        m.set_next_attempt_ms(Backoff(m.attempts(), r->retry_after_ms));
        stamp(m, r->maybe_applied ? v1::EXPORT_IN_FLIGHT : v1::EXPORT_PENDING, r->reason);
      }
      return queue_.PutAll(all);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Exporter::Settle(const v1::ExportEntry& e, const std::string& type, Org& org) {
  const std::string system = fhir::OrgIdentifierSystem(IdentifierKind(e.kind()), e.org_ihs());
  ILP_ASSIGN_OR_RETURN(std::optional<std::string> id, org.client->FindByIdentifier(type, system, e.record_id()));
  if (!id) return false;
  v1::ExportEntry sent = e;
  sent.set_server_id(*id);
  spdlog::info("satusehat: {} {} was already received as {}/{}", e.kind(), e.record_id(), type, *id);
  ILP_RETURN_IF_ERROR(Move(std::move(sent), v1::EXPORT_SENT, ""));
  return true;
}

absl::Status Exporter::Send(v1::ExportEntry e, const Prepared& p, Org& org) {
  const std::string system = fhir::OrgIdentifierSystem(IdentifierKind(e.kind()), e.org_ihs());
  if (e.state() == v1::EXPORT_IN_FLIGHT) {
    // The last POST's outcome is unknown: ask before sending again.
    ILP_ASSIGN_OR_RETURN(const bool sent, Settle(e, p.type, org));
    if (sent) return absl::OkStatus();
  }
  e.set_attempts(e.attempts() + 1);
  e.set_next_attempt_ms(Backoff(e.attempts(), 0));
  ILP_RETURN_IF_ERROR(Move(e, v1::EXPORT_IN_FLIGHT, ""));  // durable before the POST
  e.set_state(v1::EXPORT_IN_FLIGHT);
  absl::StatusOr<CreateResult> r = org.client->Create(p.type, p.resource);
  if (!r.ok()) return r.status();  // stays IN_FLIGHT: searched for next time
  switch (r->kind) {
    case CreateResult::kCreated:
      e.set_server_id(r->server_id);
      spdlog::info("satusehat: {} {} sent as {}/{}", e.kind(), e.record_id(), p.type, r->server_id);
      return Move(e, v1::EXPORT_SENT, "");
    case CreateResult::kDuplicate: {
      ILP_ASSIGN_OR_RETURN(std::optional<std::string> id,
                           org.client->FindByIdentifier(p.type, system, e.record_id()));
      if (!id) return absl::UnavailableError(absl::StrCat(p.type, " ", e.record_id(),
                                                          ": duplicate, yet not found by identifier"));
      e.set_server_id(*id);
      spdlog::info("satusehat: {} {} already in SATUSEHAT as {}/{}", e.kind(), e.record_id(), p.type, *id);
      return Move(e, v1::EXPORT_SENT, "");
    }
    case CreateResult::kRejected:
      spdlog::warn("satusehat: {} {} rejected ({})", e.kind(), e.record_id(), r->reason.substr(0, 8));
      return Move(e, v1::EXPORT_REJECTED, r->reason);
    case CreateResult::kRetry:
      e.set_next_attempt_ms(Backoff(e.attempts(), r->retry_after_ms));
      // A 429 was not applied; a 5xx may have been, so it stays in flight.
      return Move(e, r->maybe_applied ? v1::EXPORT_IN_FLIGHT : v1::EXPORT_PENDING, r->reason);
  }
  return absl::OkStatus();
}

}  // namespace ilp::satusehat
