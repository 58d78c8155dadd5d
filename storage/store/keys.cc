#include "storage/store/keys.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "storage/merge/merge.h"
#include "storage/merge/view.h"

namespace ilp {

std::string SeqKey(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(seq >> (56 - 8 * i));
  return k;
}

uint64_t SeqFromKey(absl::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

std::string IndexKey(char tag, std::initializer_list<absl::string_view> parts) {
  std::string k(1, tag);
  for (absl::string_view p : parts) {
    k.push_back('\0');
    k.append(p.data(), p.size());
  }
  return k;
}

absl::string_view IndexTarget(absl::string_view key) {
  size_t pos = key.rfind('\0');
  return pos == absl::string_view::npos ? key : key.substr(pos + 1);
}

std::string NormalizeName(absl::string_view name) {
  std::string out;
  bool space = false;
  for (char c : absl::StripAsciiWhitespace(name)) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

namespace {

void AddPatientLink(std::set<std::string>* out, const std::string& patient_id,
                    const v1::Record& r) {
  if (!patient_id.empty()) out->insert(IndexKey('p', {patient_id, KindName(r), r.id()}));
}

}  // namespace

std::set<std::string> IndexEntries(const v1::Record& r) {
  std::set<std::string> out;
  switch (r.body_case()) {
    case v1::Record::kPatient: {
      v1::Patient p = PatientView(r);
      for (const v1::Identifier& id : p.identifiers()) {
        if (id.system() == v1::NIK || id.system() == v1::NIK_IBU) {
          out.insert(IndexKey('n', {id.value(), r.id()}));
        }
      }
      if (!p.address().village_code().empty()) {
        out.insert(IndexKey('v', {p.address().village_code(), r.id()}));
      }
      if (!p.name().empty()) out.insert(IndexKey('m', {NormalizeName(p.name()), r.id()}));
      if (!p.same_as().empty()) out.insert(IndexKey('s', {p.same_as(), r.id()}));
      break;
    }
    case v1::Record::kEncounter:
      AddPatientLink(&out, r.encounter().patient_id(), r);
      break;
    case v1::Record::kObservation:
      AddPatientLink(&out, r.observation().patient_id(), r);
      break;
    case v1::Record::kImmunization:
      AddPatientLink(&out, r.immunization().patient_id(), r);
      break;
    case v1::Record::kReferral:
      AddPatientLink(&out, r.referral().patient_id(), r);
      break;
    case v1::Record::kResponse:
      AddPatientLink(&out, r.response().patient_id(), r);
      break;
    case v1::Record::kTask:
      AddPatientLink(&out, r.task().patient_id(), r);
      if (!r.task().assignee_node().empty()) {
        out.insert(IndexKey('t', {r.task().assignee_node(), r.id()}));
      }
      break;
    case v1::Record::kRevocation:
      out.insert(IndexKey('j', {r.revocation().jti(), r.id()}));
      break;
    case v1::Record::kAudit:
      for (const std::string& patient : r.audit().patient_ids()) {
        out.insert(AuditPatientKey(patient, r.created().wall_ms(), r.id()));
      }
      break;
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return out;
}

std::string AuditPatientKey(absl::string_view patient_id, int64_t wall_ms, absl::string_view event_id) {
  const std::string wall = absl::StrFormat("%016x", static_cast<uint64_t>(std::max<int64_t>(0, wall_ms)));
  return IndexKey('a', {patient_id, wall, event_id});
}

std::string QuarantineKey(absl::string_view from_node, absl::string_view delta_bytes) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(delta_bytes.data()),
                     delta_bytes.size(), nullptr, 0);
  return absl::StrCat(from_node, absl::string_view("\0", 1),
                      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string LostKey(const v1::LostWrite& w) {
  const v1::Stamp& s = w.losing_stamp();
  return absl::StrCat(w.record_id(), std::string(1, '\0'), w.field(), std::string(1, '\0'),
                      SeqKey(static_cast<uint64_t>(s.wall_ms())), SeqKey(s.logical()), s.node());
}

}  // namespace ilp
