#include "services/replication/admission.h"

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/records/validate.h"
#include "storage/merge/merge.h"
#include "storage/merge/stamp.h"

namespace ilp {
namespace {

// Calls `fn` on every stamp of `r`, writing stamps (authorship) with
// writing = true, observed ones (versions' bases, elements' removes) false.
absl::Status ForEachStamp(const v1::Record& r,
                          const std::function<absl::Status(const v1::Stamp&, const std::string&,
                                                           bool writing)>& fn) {
  auto run = [&](const v1::Stamp& s, const std::string& f, bool writing) {
    return StampIsZero(s) ? absl::OkStatus() : fn(s, f, writing);
  };
  absl::Status st = run(r.created(), "record.created", true);
  if (st.ok() && r.has_error()) st = run(r.error().stamp(), "record.error.stamp", true);
  for (int i = 0; st.ok() && i < r.moves_size(); ++i) {
    st = run(r.moves(i).stamp(), absl::StrCat("record.moves[", i, "].stamp"), true);
  }
  for (int i = 0; st.ok() && i < r.external_ids_size(); ++i) {
    st = run(r.external_ids(i).stamp(), absl::StrCat("record.external_ids[", i, "].stamp"), true);
  }
  const v1::PatientState& p = r.patient();
  for (int i = 0; st.ok() && i < p.versions_size(); ++i) {
    const std::string f = absl::StrCat("record.patient.versions[", i, "]");
    st = run(p.versions(i).stamp(), f + ".stamp", true);
    if (st.ok()) st = run(p.versions(i).base(), f + ".base", false);
  }
  for (int i = 0; st.ok() && i < p.elements_size(); ++i) {
    const v1::SetElement& e = p.elements(i);
    const std::string f = absl::StrCat("record.patient.elements[", i, "]");
    st = run(e.value_stamp(), f + ".value_stamp", true);
    for (int j = 0; st.ok() && j < e.adds_size(); ++j) {
      st = run(e.adds(j), absl::StrCat(f, ".adds[", j, "]"), true);
    }
    for (int j = 0; st.ok() && j < e.removes_size(); ++j) {
      st = run(e.removes(j), absl::StrCat(f, ".removes[", j, "]"), false);
    }
  }
  return st;
}

bool InArea(const std::string& village, const std::vector<std::string>& area) {
  for (const std::string& prefix : area) {
    if (!prefix.empty() && absl::StartsWith(village, prefix)) return true;
  }
  return false;
}

absl::Status Rule(absl::StatusCode code, absl::string_view rule, absl::string_view what) {
  return absl::Status(code, absl::StrCat(rule, ": ", what));
}

}  // namespace

absl::Status AdmitFromChild(const v1::Record& delta, const v1::Record* stored,
                            const ChildTrust& trust) {
  if (delta.has_revocation()) {
    // Tokens are revoked at the district and revocations flow down; one from
    // below could only be a stolen node key revoking the district's apps.
    return Rule(absl::StatusCode::kPermissionDenied, "kind",
                absl::StrCat("record ", delta.id(), " is a token revocation; revocations come only ",
                             "from above (the district), never from a child"));
  }
  if (absl::Status s = ValidateRecord(delta, trust.now_ms, kSyncFutureSlackMs); !s.ok()) {
    return Rule(absl::StatusCode::kInvalidArgument, "content", s.message());
  }
  if (stored != nullptr && stored->body_case() != v1::Record::BODY_NOT_SET &&
      stored->body_case() != delta.body_case()) {
    return Rule(absl::StatusCode::kInvalidArgument, "kind",
                absl::StrCat("record ", delta.id(), " is a ", KindName(*stored), " here, the delta a ",
                             KindName(delta)));
  }
  const int64_t latest_anchor = trust.now_ms + trust.max_skew_ms;
  auto is_writer = [&](const std::string& node) {
    return node == trust.child_id || trust.writers.count(node) > 0;
  };
  absl::Status stamps = ForEachStamp(delta, [&](const v1::Stamp& s, const std::string& f, bool writing) {
    if (s.anchor_ms() > latest_anchor) {
      return Rule(absl::StatusCode::kInvalidArgument, "time",
                  absl::StrCat(f, ".anchor_ms ", s.anchor_ms(), " lies beyond this node's now + ",
                               "max_clock_skew (", latest_anchor, "); an anchor is trusted time "
                               "from above and cannot be in the future"));
    }
    if (writing && !is_writer(s.node())) {
      return Rule(absl::StatusCode::kPermissionDenied, "authorship",
                  absl::StrCat(f, ".node \"", s.node(), "\" is neither child \"", trust.child_id,
                               "\" nor in its subtree"));
    }
    return absl::OkStatus();
  });
  if (!stamps.ok()) return stamps;
  if (delta.has_patient() && stored != nullptr && stored->has_patient()) {
    const std::string& village = stored->patient().value().address().village_code();
    if (!InArea(village, trust.area) && !is_writer(stored->created().node())) {
      return Rule(absl::StatusCode::kPermissionDenied, "scope",
                  absl::StrCat("patient ", delta.id(), " lives outside child's area (village \"",
                               village, "\") and was not registered by its subtree"));
    }
  }
  return absl::OkStatus();
}

std::string ReasonForLog(absl::string_view reason) {
  const size_t rule = reason.find(": ");
  if (rule == absl::string_view::npos) return std::string(reason.substr(0, 40));
  const size_t field = reason.find(": ", rule + 2);
  return std::string(reason.substr(0, field == absl::string_view::npos ? rule : field));
}

std::set<std::string> BelievedSubtree(const std::string& child_id,
                                      const std::vector<std::string>& claimed,
                                      const KnownTopology& topology,
                                      std::vector<std::string>* refused) {
  std::set<std::string> out;
  auto refuse = [&](const std::string& id, absl::string_view why) {
    if (refused != nullptr) refused->push_back(absl::StrCat(id, ": ", why));
  };
  std::set<std::string> seen;
  for (const std::string& id : claimed) {
    if (!seen.insert(id).second) continue;
    if (!ValidateNodeId(id, "subtree").ok()) {
      refuse(id.substr(0, 64), "not a valid node id");
    } else if (id == child_id) {
      refuse(id, "is the child itself");
    } else if (id == topology.self_id) {
      refuse(id, "is this node");
    } else if (!topology.parent_id.empty() && id == topology.parent_id) {
      refuse(id, "is this node's parent");
    } else if (std::find(topology.children.begin(), topology.children.end(), id) !=
               topology.children.end()) {
      refuse(id, "is another configured child of this node");
    } else {
      std::string owner;
      for (const auto& [other, nodes] : topology.believed) {
        if (other != child_id && nodes.count(id)) owner = other;
      }
      if (!owner.empty()) {
        refuse(id, absl::StrCat("is already in the subtree of child ", owner));
      } else {
        out.insert(id);
      }
    }
  }
  return out;
}

}  // namespace ilp
