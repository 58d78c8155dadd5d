#include "services/records/records_core.h"

#include <sodium.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/records/records_internal.h"
#include "services/records/validate.h"
#include "storage/merge/lifecycle.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace records_internal {

using v1::Record;

// The record `id`, or nullopt when the store does not hold it. Only NOT_FOUND
// means absent: an I/O error or a record that does not parse is returned.
absl::StatusOr<std::optional<Record>> GetIfPresent(const Store& store, const std::string& id) {
  absl::StatusOr<Record> r = store.Get(id);
  if (absl::IsNotFound(r.status())) return std::optional<Record>();
  if (!r.ok()) return r.status();
  return std::optional<Record>(std::move(*r));
}

// BLAKE2b-256 of the deterministic encoding of `m`.
std::string Digest(const google::protobuf::Message& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return out;
}

std::string StoredDigest(const std::string& digest) { return digest.substr(0, kStoredDigestBytes); }

bool DigestMatches(const std::string& stored, const std::string& digest) {
  return stored.size() >= kStoredDigestBytes && stored.size() <= digest.size() &&
         digest.compare(0, stored.size(), stored) == 0;
}

absl::Status AlreadyExists(const char* what, const std::string& id) {
  return absl::AlreadyExistsError(absl::StrCat(
      what, " ", id, " already exists with different content; use a new id, or repeat the "
      "original request exactly to retry"));
}

}  // namespace records_internal

using records_internal::AlreadyExists;
using records_internal::DigestMatches;
using records_internal::GetIfPresent;
using v1::Record;

namespace {

// A delta of record `cur`: its id and an empty body of the same kind
// (body_case values are the oneof field numbers), so it merges into this
// record and nothing else. REQUIRES: cur has a body.
Record DeltaOf(const Record& cur) {
  Record d;
  d.set_id(cur.id());
  d.GetReflection()->MutableMessage(&d, d.GetDescriptor()->FindFieldByNumber(cur.body_case()));
  return d;
}

}  // namespace

RecordsCore::RecordsCore(Store* store, HybridClock* hlc, Random* random)
    : store_(store), hlc_(hlc), ids_(random) {}

std::string RecordsCore::IdOr(const std::string& id) {
  return id.empty() ? ids_.Next(NowMs()) : id;
}

Record RecordsCore::AuditRecord(const v1::AuditEvent& event) {
  Record r;
  r.set_id(ids_.Next(NowMs()));
  *r.mutable_created() = hlc_->Now();
  *r.mutable_audit() = event;
  r.mutable_audit()->set_node(node_id());
  return r;
}

// Every public write: done under mu_ by its ...Unacked body, acknowledged
// once durable, waiting outside mu_ so that concurrent writers share one
// fsync (Store's group commit, docs/storage.md).
#define ILP_DURABLE_WRITE(Method, Resp, Req)                                              \
  absl::StatusOr<Resp> RecordsCore::Method(const Req& req, WriteAudit* audit) {         \
    return Durable(Method##Unacked(req, audit));                                         \
  }
ILP_DURABLE_WRITE(CreatePatient, v1::Patient, v1::CreatePatientRequest)
ILP_DURABLE_WRITE(UpdatePatient, v1::Patient, v1::UpdatePatientRequest)
ILP_DURABLE_WRITE(LinkPatients, v1::Patient, v1::LinkPatientsRequest)
ILP_DURABLE_WRITE(RecordEncounter, v1::RecordEncounterResponse, v1::RecordEncounterRequest)
ILP_DURABLE_WRITE(MarkEnteredInError, v1::MarkEnteredInErrorResponse, v1::MarkEnteredInErrorRequest)
ILP_DURABLE_WRITE(CreateReferral, v1::Referral, v1::CreateReferralRequest)
ILP_DURABLE_WRITE(TransitionReferral, v1::Referral, v1::TransitionReferralRequest)
ILP_DURABLE_WRITE(RespondToReferral, v1::RespondToReferralResponse, v1::RespondToReferralRequest)
ILP_DURABLE_WRITE(UpdateTask, v1::Task, v1::UpdateTaskRequest)
#undef ILP_DURABLE_WRITE

absl::StatusOr<v1::RevokeTokenResponse> RecordsCore::RevokeToken(const std::string& jti, const std::string& reason,
                                                               const std::string& by) {
  return Durable(RevokeTokenUnacked(jti, reason, by));
}

absl::StatusOr<ApplyResult> RecordsCore::Commit(std::vector<Record> deltas, WriteAudit* audit) {
  // The same rules a parent applies to a child's deltas: one rule set.
  for (const Record& d : deltas) ILP_RETURN_IF_ERROR(ValidateRecord(d, NowMs(), kApiFutureSlackMs));
  ApplyRequest req;
  if (audit != nullptr) {
    v1::AuditEvent ev = audit->event;
    for (const Record& d : deltas) {
      if (std::find(ev.record_ids().begin(), ev.record_ids().end(), d.id()) == ev.record_ids().end()) {
        ev.add_record_ids(d.id());
      }
      // A create's patient id may be the node's: name it as the patient too.
      if (d.has_patient() && std::find(ev.patient_ids().begin(), ev.patient_ids().end(), d.id()) ==
                                 ev.patient_ids().end()) {
        ev.add_patient_ids(d.id());
      }
    }
    ev.set_outcome("OK");
    deltas.push_back(AuditRecord(ev));
  }
  req.deltas = std::move(deltas);
  req.hlc_high_water = hlc_->HighWater();
  req.sync = true;
  req.defer_durable = true;  // the public write waits after releasing mu_ (Durable)
  absl::StatusOr<ApplyResult> res = store_->Apply(std::move(req));
  if (res.ok() && audit != nullptr) {
    audit->committed = true;
    res->states.pop_back();  // the audit event's: callers see their records only
  }
  return res;
}

absl::StatusOr<Record> RecordsCore::CommitMove(const Record& cur, int to_state,
                                               const std::string& note, WriteAudit* audit) {
  const v1::Move* win = WinningMove(cur.moves());
  Record d = DeltaOf(cur);
  v1::Move* m = d.add_moves();
  m->set_to_state(to_state);
  m->set_note(note);
  *m->mutable_stamp() = hlc_->NowAfter(win ? win->stamp() : v1::Stamp());
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, audit));
  return std::move(res.states[0]);
}

absl::StatusOr<Record> RecordsCore::ExternalIdDelta(const std::string& id, const std::string& system,
                                                    const std::string& value) {
  ILP_ASSIGN_OR_RETURN(const Record cur, store_->Get(id));
  if (cur.body_case() == Record::BODY_NOT_SET) {
    return absl::FailedPreconditionError(absl::StrCat("record ", id, " has no body yet"));
  }
  Record d = DeltaOf(cur);
  v1::ExternalId* x = d.add_external_ids();
  x->set_system(system);
  x->set_value(value);
  *x->mutable_stamp() = hlc_->Now();
  ILP_RETURN_IF_ERROR(ValidateRecord(d, NowMs(), kApiFutureSlackMs));
  return d;
}

absl::StatusOr<Record> RecordsCore::Load(const std::string& id, Record::BodyCase kind,
                                         const char* what) const {
  absl::StatusOr<Record> r = store_->Get(id);
  if (absl::IsNotFound(r.status()) || (r.ok() && r->body_case() != kind)) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found at node ", node_id()));
  }
  return r;
}

absl::StatusOr<Record> RecordsCore::Resolve(const std::string& id) const {
  ILP_ASSIGN_OR_RETURN(Record r, Load(id, Record::kPatient, "patient"));
  std::set<std::string> seen = {id};
  while (!r.patient().value().same_as().empty()) {
    const std::string next = r.patient().value().same_as();
    if (!seen.insert(next).second) break;  // a cycle from concurrent links: stop
    ILP_ASSIGN_OR_RETURN(std::optional<Record> n, GetIfPresent(*store_, next));
    if (!n || !n->has_patient()) break;  // survivor not here (yet): stay
    r = std::move(*n);
  }
  return r;
}

absl::StatusOr<std::optional<Record>> RecordsCore::Replayed(const std::string& id,
                                                            const std::string& digest,
                                                            const char* what) const {
  if (id.empty()) return std::optional<Record>();
  ILP_ASSIGN_OR_RETURN(std::optional<Record> existing, GetIfPresent(*store_, id));
  if (existing && !DigestMatches(existing->create_digest(), digest)) return AlreadyExists(what, id);
  return existing;
}

}  // namespace ilp
