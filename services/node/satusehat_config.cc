#include "services/node/satusehat_config.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

absl::Status Bad(const std::string& field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("satusehat.", field, ": ", rule));
}

// A SATUSEHAT id (Organization, Location, Practitioner IHS): 1-64 letters,
// digits, '-' or '.'.
absl::Status ServerId(const std::string& v, const std::string& field) {
  if (v.empty()) return Bad(field, "is required");
  if (v.size() > 64) return Bad(field, "must be at most 64 characters");
  for (char c : v) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return Bad(field, "must be letters, digits, '-' or '.'");
    }
  }
  return absl::OkStatus();
}

// https://host[:port][/path], or http:// for a loopback host (tests only).
absl::Status BaseUrl(const std::string& url) {
  if (url.empty()) return Bad("base_url", "is required, e.g. \"https://api-satusehat.kemkes.go.id\"");
  if (absl::EndsWith(url, "/") || url.find('?') != std::string::npos) {
    return Bad("base_url", "must have no trailing '/' and no query");
  }
  if (absl::StartsWith(url, "https://") && url.size() > 8) return absl::OkStatus();
  if (absl::StartsWith(url, "http://127.0.0.1:") || absl::StartsWith(url, "http://localhost:") ||
      url == "http://127.0.0.1" || url == "http://localhost") {
    return absl::OkStatus();
  }
  return Bad("base_url", "must be https:// (plain http only to 127.0.0.1 or localhost)");
}

}  // namespace

absl::Status ValidateSatusehatConfig(v1::SatusehatConfig* cfg) {
  ILP_RETURN_IF_ERROR(BaseUrl(cfg->base_url()));
  if (cfg->organizations_size() == 0) return Bad("organizations", "must list at least one Organization");
  if (cfg->interval_s() == 0) cfg->set_interval_s(60);
  if (cfg->held_recheck_s() == 0) cfg->set_held_recheck_s(3600);
  if (cfg->timeout_s() == 0) cfg->set_timeout_s(30);
  if (cfg->timeout_s() > 600) return Bad("timeout_s", "must be at most 600");
  std::set<std::string> orgs, sites;
  for (int i = 0; i < cfg->organizations_size(); ++i) {
    const v1::SatusehatOrganization& o = cfg->organizations(i);
    const std::string f = absl::StrCat("organizations[", i, "]");
    ILP_RETURN_IF_ERROR(ServerId(o.org_ihs(), f + ".org_ihs"));
    if (!orgs.insert(o.org_ihs()).second) {
      return Bad(f + ".org_ihs", "listed twice; one exporter per Organization");
    }
    if (o.client_id().empty()) return Bad(f + ".client_id", "is required");
    if (o.client_secret_file().empty()) return Bad(f + ".client_secret_file", "is required");
    if (o.puskesmas_node_id().empty()) return Bad(f + ".puskesmas_node_id", "is required");
    if (o.sites_size() == 0) return Bad(f + ".sites", "must list at least one site (node id and Location)");
    for (int j = 0; j < o.sites_size(); ++j) {
      const v1::SatusehatSite& s = o.sites(j);
      const std::string sf = absl::StrCat(f, ".sites[", j, "]");
      if (s.node_id().empty()) return Bad(sf + ".node_id", "is required");
      if (!sites.insert(s.node_id()).second) {
        return Bad(sf + ".node_id", "listed twice; a site belongs to one Organization");
      }
      ILP_RETURN_IF_ERROR(ServerId(s.location_ihs(), sf + ".location_ihs"));
      if (!s.supervisor_practitioner_ihs().empty()) {
        ILP_RETURN_IF_ERROR(ServerId(s.supervisor_practitioner_ihs(), sf + ".supervisor_practitioner_ihs"));
      }
    }
    std::set<std::string> performers;
    for (int j = 0; j < o.practitioners_size(); ++j) {
      const v1::SatusehatPractitioner& p = o.practitioners(j);
      const std::string pf = absl::StrCat(f, ".practitioners[", j, "]");
      if (p.performer().empty()) return Bad(pf + ".performer", "is required");
      if (!performers.insert(p.performer()).second) return Bad(pf + ".performer", "listed twice");
      ILP_RETURN_IF_ERROR(ServerId(p.ihs(), pf + ".ihs"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ilp
