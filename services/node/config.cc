#include "services/node/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "services/node/satusehat_config.h"
#include "services/records/validate.h"
#include "services/security/credentials.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

absl::Status ValidateHostPort(const std::string& addr, absl::string_view field) {
  size_t colon = addr.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(addr).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Bad(field, absl::StrCat("must be HOST:PORT (port 0-65535), got \"", addr, "\""));
  }
  return absl::OkStatus();
}

// Collects unknown-field and syntax errors as one line.
class OneLineCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat("line ", line + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// Proto3 strings must be UTF-8, but the text format parser stores any bytes
// its escapes spell; such a config would not serialize or print faithfully.
absl::Status CheckUtf8(const google::protobuf::Message& m, const std::string& prefix) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* refl = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? refl->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const std::string at =
          f->is_repeated() ? absl::StrCat(prefix, f->name(), "[", i, "]") : prefix + f->name();
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& v = f->is_repeated() ? refl->GetRepeatedStringReference(m, f, i, &scratch)
                                                : refl->GetStringReference(m, f, &scratch);
        if (!google::protobuf::internal::IsStructurallyValidUTF8(v)) {
          return Bad(at, "is not valid UTF-8");
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        ILP_RETURN_IF_ERROR(CheckUtf8(
            f->is_repeated() ? refl->GetRepeatedMessage(m, f, i) : refl->GetMessage(m, f), at + "."));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNodeConfig(v1::NodeConfig* cfg) {
  ILP_RETURN_IF_ERROR(CheckUtf8(*cfg, ""));
  ILP_RETURN_IF_ERROR(ValidateNodeId(cfg->node_id(), "node_id"));
  if (cfg->tier() == v1::TIER_UNSPECIFIED || !v1::Tier_IsValid(cfg->tier())) {
    return Bad("tier", "must be one of POSYANDU, PUSTU, PUSKESMAS, DISTRICT, PROVINCE");
  }
  if (cfg->working_area_size() == 0) {
    return Bad("working_area", "must list at least one area code this node serves");
  }
  for (int i = 0; i < cfg->working_area_size(); ++i) {
    ILP_RETURN_IF_ERROR(ValidateAreaCode(cfg->working_area(i), absl::StrCat("working_area[", i, "]")));
  }
  if (cfg->listen_address().empty()) return Bad("listen_address", "is required, e.g. \"127.0.0.1:7070\"");
  ILP_RETURN_IF_ERROR(ValidateHostPort(cfg->listen_address(), "listen_address"));
  if (cfg->data_dir().empty()) return Bad("data_dir", "is required");
  if (cfg->parent_address().empty() != cfg->parent_id().empty()) {
    return Bad(cfg->parent_address().empty() ? "parent_address" : "parent_id",
               "parent_address and parent_id must be set together (or both empty at the root)");
  }
  if (!cfg->parent_address().empty()) {
    ILP_RETURN_IF_ERROR(ValidateHostPort(cfg->parent_address(), "parent_address"));
    ILP_RETURN_IF_ERROR(ValidateNodeId(cfg->parent_id(), "parent_id"));
    if (cfg->parent_id() == cfg->node_id()) return Bad("parent_id", "must differ from node_id");
  }
  std::set<std::string> kids;
  for (int i = 0; i < cfg->children_size(); ++i) {
    const auto& c = cfg->children(i);
    const std::string f = absl::StrCat("children[", i, "]");
    ILP_RETURN_IF_ERROR(ValidateNodeId(c.node_id(), f + ".node_id"));
    if (!kids.insert(c.node_id()).second) return Bad(f + ".node_id", "is listed twice");
    if (c.node_id() == cfg->node_id()) return Bad(f + ".node_id", "must differ from node_id");
    if (c.working_area_size() == 0) return Bad(f + ".working_area", "must list at least one area code");
    for (int j = 0; j < c.working_area_size(); ++j) {
      const std::string fj = absl::StrCat(f, ".working_area[", j, "]");
      ILP_RETURN_IF_ERROR(ValidateAreaCode(c.working_area(j), fj));
      if (!AreaWithin(c.working_area(j), cfg->working_area())) {
        return Bad(fj, absl::StrCat("\"", c.working_area(j), "\" lies outside this node's working_area (",
                                    absl::StrJoin(cfg->working_area(), ", "),
                                    "): a child serves part of its parent's area"));
      }
    }
  }
  if (!cfg->metrics_listen().empty() && cfg->metrics_listen()[0] == ':') {
    cfg->set_metrics_listen("127.0.0.1" + cfg->metrics_listen());  // loopback unless a host is named
  }
  if (!cfg->metrics_listen().empty()) {
    ILP_RETURN_IF_ERROR(ValidateHostPort(cfg->metrics_listen(), "metrics_listen"));
  }
  if (cfg->sync_interval_s() == 0) cfg->set_sync_interval_s(60);
  if (cfg->max_batch_bytes() == 0) cfg->set_max_batch_bytes(256 * 1024);
  if (cfg->store_memory_mib() == 0) {
    switch (cfg->tier()) {
      case v1::POSYANDU: cfg->set_store_memory_mib(16); break;
      case v1::PUSTU: cfg->set_store_memory_mib(32); break;
      case v1::PUSKESMAS: cfg->set_store_memory_mib(128); break;
      default: cfg->set_store_memory_mib(256); break;
    }
  }
  if (cfg->store_memory_mib() < 8 || cfg->store_memory_mib() > 65536) {
    return Bad("store_memory_mib", "must be 8 - 65536 (MiB)");
  }
  if (!cfg->has_min_free_disk_mb()) cfg->set_min_free_disk_mb(256);
  if (cfg->min_free_disk_mb() > 1024 * 1024) return Bad("min_free_disk_mb", "must be at most 1048576 (1 TiB)");
  if (cfg->max_batch_bytes() < 1024 || cfg->max_batch_bytes() > 64 * 1024 * 1024) {
    return Bad("max_batch_bytes", "must be 1 KiB - 64 MiB");
  }
  if (cfg->max_clock_skew_s() == 0) cfg->set_max_clock_skew_s(300);
  if (cfg->idle_timeout_s() == 0) cfg->set_idle_timeout_s(120);
  if (cfg->max_follow_streams_per_client() == 0) cfg->set_max_follow_streams_per_client(4);
  if (cfg->max_server_threads() == 0) cfg->set_max_server_threads(64);
  if (cfg->max_server_threads() < 8) return Bad("max_server_threads", "must be at least 8");
  if (cfg->has_satusehat()) {
    ILP_RETURN_IF_ERROR(ValidateSatusehatConfig(cfg->mutable_satusehat()));
    // The exporter runs at the Puskesmas, or at the district for a Puskesmas
    // that is not online; a Puskesmas exports only its own Organization.
    if (cfg->tier() != v1::PUSKESMAS && cfg->tier() != v1::DISTRICT) {
      return Bad("satusehat", "only a PUSKESMAS or DISTRICT node exports to SATUSEHAT");
    }
    for (int i = 0; i < cfg->satusehat().organizations_size(); ++i) {
      const v1::SatusehatOrganization& o = cfg->satusehat().organizations(i);
      if (cfg->tier() == v1::PUSKESMAS && o.puskesmas_node_id() != cfg->node_id()) {
        return Bad(absl::StrCat("satusehat.organizations[", i, "].puskesmas_node_id"),
                   absl::StrCat("is ", o.puskesmas_node_id(), ": a PUSKESMAS node exports only its own "
                                "Organization (puskesmas_node_id must be ", cfg->node_id(), ")"));
      }
    }
  }
  return ValidateTransportSecurity(*cfg);
}

absl::Status ParseMessageText(const std::string& text, bool json, absl::string_view name,
                              google::protobuf::Message* msg) {
  if (json) {
    auto st = google::protobuf::util::JsonStringToMessage(text, msg);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", st.message().as_string()));
    return absl::OkStatus();
  }
  google::protobuf::TextFormat::Parser parser;
  OneLineCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, msg)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", errors.first()));
  }
  return absl::OkStatus();
}

absl::Status LoadMessageFile(const std::string& path, absl::string_view what,
                             google::protobuf::Message* msg) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot read file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseMessageText(ss.str(), absl::EndsWith(path, ".json"), absl::StrCat(what, " ", path), msg);
}

absl::StatusOr<v1::NodeConfig> ParseNodeConfig(const std::string& text, bool json,
                                               const std::string& name) {
  v1::NodeConfig cfg;
  ILP_RETURN_IF_ERROR(ParseMessageText(text, json, absl::StrCat("config ", name), &cfg));
  absl::Status st = ValidateNodeConfig(&cfg);
  if (!st.ok()) {
    return absl::Status(st.code(), absl::StrCat("config ", name, ": ", st.message()));
  }
  return cfg;
}

absl::StatusOr<v1::NodeConfig> LoadNodeConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("config ", path, ": cannot read file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseNodeConfig(ss.str(), absl::EndsWith(path, ".json"), path);
}

}  // namespace ilp
