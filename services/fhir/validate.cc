#include "services/fhir/validate.h"

#include <map>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/fhir/builders.h"
#include "services/fhir/fhir_time.h"
#include "services/fhir/systems.h"

namespace ilp::fhir {
namespace {

using nlohmann::json;

// Collects problems for one resource; paths are relative to its type.
class Checker {
 public:
  // `local`: fullUrl -> resourceType of the other entries of the transaction
  // Bundle `r` is in (nullptr outside a bundle); a reference to one of them
  // of the wanted type is accepted.
  Checker(const json& r, std::string type, const std::map<std::string, std::string>* local = nullptr)
      : r_(r), type_(std::move(type)), local_(local) {}

  // The element at a dotted path (array elements by index), or nullptr.
  const json* At(absl::string_view path) const {
    const json* cur = &r_;
    for (absl::string_view part : absl::StrSplit(path, '.')) {
      if (cur->is_array()) {
        size_t i = 0;
        if (!absl::SimpleAtoi(part, &i) || i >= cur->size()) return nullptr;
        cur = &(*cur)[i];
      } else if (cur->is_object() && cur->contains(std::string(part))) {
        cur = &(*cur)[std::string(part)];
      } else {
        return nullptr;
      }
    }
    return cur;
  }

  void Problem(absl::string_view path, absl::string_view rule) {
    problems_.push_back(absl::StrCat(type_, ".", path, ": ", rule));
  }

  // A non-empty string at `path`.
  bool String(absl::string_view path) {
    const json* v = At(path);
    if (v == nullptr || !v->is_string() || v->get<std::string>().empty()) {
      Problem(path, "is required");
      return false;
    }
    return true;
  }

  // A string equal to `want`.
  void Equals(absl::string_view path, absl::string_view want) {
    if (!String(path)) return;
    if (At(path)->get<std::string>() != want) Problem(path, absl::StrCat("must be ", want));
  }

  // A string equal to one of `allowed`.
  void OneOf(absl::string_view path, std::initializer_list<absl::string_view> allowed) {
    if (!String(path)) return;
    const std::string v = At(path)->get<std::string>();
    for (absl::string_view a : allowed) {
      if (v == a) return;
    }
    Problem(path, absl::StrCat("\"", v, "\" is not allowed"));
  }

  // A reference "Type/id" with a non-empty id, or inside a bundle the
  // fullUrl of an entry of that type.
  void Reference(absl::string_view path, absl::string_view type) {
    const std::string p = absl::StrCat(path, ".reference");
    const json* v = At(p);
    if (local_ != nullptr && v != nullptr && v->is_string()) {
      auto it = local_->find(v->get<std::string>());
      if (it != local_->end() && it->second == type) return;
    }
    const std::string prefix = absl::StrCat(type, "/");
    if (v == nullptr || !v->is_string() || !absl::StartsWith(v->get<std::string>(), prefix) ||
        v->get<std::string>().size() == prefix.size()) {
      Problem(path, absl::StrCat("reference ", type, "/{id} is required"));
    }
  }

  // A dateTime SATUSEHAT accepts: UTC "+00:00", not before 2014-06-03.
  void DateTime(absl::string_view path) {
    if (!String(path)) return;
    if (!IsSatusehatDateTime(At(path)->get<std::string>())) {
      Problem(path, "must be a dateTime in UTC (+00:00) not before 2014-06-03");
    }
  }

  // identifier[0] under the Organization system of `kind`, with a value.
  void OrgIdentifier(absl::string_view kind) {
    if (!String("identifier.0.system") || !String("identifier.0.value")) return;
    const std::string sys = At("identifier.0.system")->get<std::string>();
    const std::string prefix = OrgIdentifierSystem(kind, "");
    if (!absl::StartsWith(sys, prefix) || sys.size() == prefix.size()) {
      Problem("identifier.0.system", absl::StrCat("must be ", prefix, "{org-ihs}"));
    }
  }

  std::vector<std::string> Take() { return std::move(problems_); }

 private:
  const json& r_;
  std::string type_;
  const std::map<std::string, std::string>* local_;
  std::vector<std::string> problems_;
};

void CheckEncounter(Checker& c) {
  c.OrgIdentifier("encounter");
  c.OneOf("status", {"arrived", "in-progress", "finished"});
  const char* wanted[] = {"arrived", "in-progress", "finished"};
  for (int i = 0; i < 3; ++i) {
    const std::string h = absl::StrCat("statusHistory.", i);
    c.Equals(h + ".status", wanted[i]);
    c.DateTime(h + ".period.start");
  }
  c.Equals("class.system", kActCodeSystem);
  c.OneOf("class.code", {"AMB", "HH"});
  c.Reference("subject", "Patient");
  c.Reference("participant.0.individual", "Practitioner");
  c.DateTime("period.start");
  c.DateTime("period.end");
  c.Reference("location.0.location", "Location");
  c.Reference("serviceProvider", "Organization");
}

void CheckObservation(Checker& c) {
  c.OrgIdentifier("observation");
  c.OneOf("status", {"final", "amended", "corrected", "preliminary"});
  c.Equals("category.0.coding.0.system", kObservationCategorySystem);
  c.OneOf("category.0.coding.0.code", {"vital-signs", "laboratory"});
  c.Equals("code.coding.0.system", kLoincSystem);
  if (c.String("code.coding.0.code")) {
    static const std::regex kLoinc("[0-9]{1,7}-[0-9]");
    if (!std::regex_match(c.At("code.coding.0.code")->get<std::string>(), kLoinc)) {
      c.Problem("code.coding.0.code", "must be a LOINC code (digits-check digit)");
    }
  }
  c.Reference("subject", "Patient");
  c.Reference("encounter", "Encounter");
  c.DateTime("effectiveDateTime");
  const json* value = c.At("valueQuantity.value");
  if (value == nullptr || !value->is_number()) c.Problem("valueQuantity.value", "a number is required");
  c.Equals("valueQuantity.system", kUcumSystem);
  if (c.String("valueQuantity.code") && c.String("code.coding.0.code")) {
    const std::string want = ExpectedUcum(c.At("code.coding.0.code")->get<std::string>());
    if (!want.empty() && c.At("valueQuantity.code")->get<std::string>() != want) {
      c.Problem("valueQuantity.code", absl::StrCat("must be UCUM ", want, " for this LOINC code"));
    }
  }
}

void CheckImmunization(Checker& c) {
  c.OrgIdentifier("immunization");
  c.Equals("status", "completed");
  c.Equals("vaccineCode.coding.0.system", kKfaSystem);
  c.String("vaccineCode.coding.0.code");
  c.Reference("patient", "Patient");
  c.Reference("encounter", "Encounter");
  c.DateTime("occurrenceDateTime");
  c.Reference("performer.0.actor", "Practitioner");
}

void CheckServiceRequest(Checker& c) {
  c.OrgIdentifier("servicerequest");
  c.OneOf("status", {"active", "completed", "revoked"});
  c.Equals("intent", "order");
  c.String("code.coding.0.code");
  c.Reference("subject", "Patient");
  c.Reference("encounter", "Encounter");
  c.Reference("requester", "Practitioner");
  c.DateTime("authoredOn");
}

std::vector<std::string> Validate(const json& resource, const std::map<std::string, std::string>* local) {
  if (!resource.is_object() || !resource.contains("resourceType") ||
      !resource["resourceType"].is_string()) {
    return {"resourceType: is required"};
  }
  const std::string type = resource["resourceType"].get<std::string>();
  Checker c(resource, type, local);
  if (type == "Encounter") {
    CheckEncounter(c);
  } else if (type == "Observation") {
    CheckObservation(c);
  } else if (type == "Immunization") {
    CheckImmunization(c);
  } else if (type == "ServiceRequest") {
    CheckServiceRequest(c);
  } else {
    c.Problem("resourceType", "is not exported to SATUSEHAT");
  }
  return c.Take();
}

}  // namespace

std::vector<std::string> ValidateForSatusehat(const json& resource) { return Validate(resource, nullptr); }

std::vector<std::string> ValidateBundleMember(const json& resource, const std::string& encounter_urn) {
  const std::map<std::string, std::string> local = {{encounter_urn, "Encounter"}};
  return Validate(resource, &local);
}

std::vector<std::string> ValidateTransactionBundle(const json& bundle) {
  std::vector<std::string> problems;
  if (!bundle.is_object() || bundle.value("resourceType", json()) != "Bundle") {
    return {"Bundle.resourceType: must be Bundle"};
  }
  if (bundle.value("type", json()) != "transaction") problems.push_back("Bundle.type: must be transaction");
  if (!bundle.contains("entry") || !bundle["entry"].is_array() || bundle["entry"].empty()) {
    problems.push_back("Bundle.entry: is required");
    return problems;
  }
  static const std::regex kUrn("urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  std::map<std::string, std::string> local;  // fullUrl -> resourceType
  const json& entries = bundle["entry"];
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& e = entries[i];
    const std::string at = absl::StrCat("entry[", i, "]");
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) {
      problems.push_back(absl::StrCat(at, ".resource: is required"));
      continue;
    }
    const std::string type = e["resource"].value("resourceType", json()).is_string()
                                 ? e["resource"]["resourceType"].get<std::string>()
                                 : "";
    if (i == 0 && type != "Encounter") problems.push_back("entry[0].resource: must be the Encounter");
    const json url = e.value("fullUrl", json());
    if (!url.is_string() || !std::regex_match(url.get<std::string>(), kUrn)) {
      problems.push_back(absl::StrCat(at, ".fullUrl: must be urn:uuid:<lowercase uuid>"));
    } else if (!local.emplace(url.get<std::string>(), type).second) {
      problems.push_back(absl::StrCat(at, ".fullUrl: ", url.get<std::string>(), " appears twice"));
    }
    const json req = e.value("request", json());
    if (!req.is_object() || req.value("method", json()) != "POST" || req.value("url", json()) != type) {
      problems.push_back(absl::StrCat(at, ".request: must be POST ", type.empty() ? "{resourceType}" : type));
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_object() || !entries[i].contains("resource")) continue;
    for (const std::string& p : Validate(entries[i]["resource"], &local)) {
      problems.push_back(absl::StrCat("entry[", i, "] ", p));
    }
  }
  return problems;
}

}  // namespace ilp::fhir
