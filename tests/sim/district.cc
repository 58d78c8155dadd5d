#include "tests/sim/district.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/node/config.h"
#include "storage/util/status_macros.h"

namespace ilp::sim {
namespace {

// Closes a node's parts users first, the store last.
void Close(NodeCore* c) {
  c->sync.reset();
  c->records.reset();
  c->hlc.reset();
  c->store.reset();
}

}  // namespace

absl::StatusOr<DistrictSize> SizeByName(const std::string& name) {
  if (name == "tiny") return DistrictSize{1, 2, 4, 2};
  if (name == "small") return DistrictSize{2, 3, 30, 3};
  if (name == "district") return DistrictSize{20, 3, 500, 3};
  return absl::InvalidArgumentError(
      absl::StrCat("--size: must be tiny, small or district, got \"", name, "\""));
}

absl::StatusOr<std::unique_ptr<District>> District::Open(const DistrictSize& size, uint64_t seed,
                                                         int64_t start_ms,
                                                         uint32_t max_batch_bytes) {
  std::unique_ptr<District> d(new District());
  d->fs_ = std::make_shared<SimFileSystem>();
  d->env_ = rocksdb::NewCompositeEnv(d->fs_);
  d->now_ms_ = start_ms;
  const std::string kRegency = "5371";  // Kota Kupang
  auto add = [&](std::string id, v1::Tier tier, int parent, std::vector<std::string> area) {
    SimNode n;
    n.id = std::move(id);
    n.tier = tier;
    n.parent = parent;
    n.area = std::move(area);
    d->nodes_.push_back(std::move(n));
    const int i = static_cast<int>(d->nodes_.size()) - 1;
    if (parent >= 0) d->nodes_[parent].children.push_back(i);
    return i;
  };
  add("dinkes", v1::DISTRICT, -1, {kRegency});
  const int pustu_total = size.puskesmas * size.pustu_per_puskesmas;
  int pustu_seen = 0;
  for (int k = 0; k < size.puskesmas; ++k) {
    const std::string kec = absl::StrFormat("%s%02d", kRegency, k + 1);
    const int pkm = add(absl::StrFormat("pkm-%02d", k + 1), v1::PUSKESMAS, 0, {kec});
    for (int t = 0; t < size.pustu_per_puskesmas; ++t, ++pustu_seen) {
      std::vector<std::string> villages;
      for (int v = 0; v < size.villages_per_pustu; ++v) {
        villages.push_back(absl::StrFormat("%s%04d", kec, 1001 + t * 10 + v));
      }
      const int pustu =
          add(absl::StrFormat("pustu-%02d-%d", k + 1, t + 1), v1::PUSTU, pkm, villages);
      const int pos = size.posyandu / pustu_total + (pustu_seen < size.posyandu % pustu_total);
      for (int p = 0; p < pos; ++p) {
        const std::string& village = villages[p % villages.size()];
        add(absl::StrFormat("pos-%02d-%d-%02d", k + 1, t + 1, p + 1), v1::POSYANDU, pustu,
            {village});
      }
      for (auto& v : villages) d->villages_.push_back(v);
    }
  }
  // Subtrees and villages, leaves first (children come after their parent).
  for (int i = d->size() - 1; i >= 0; --i) {
    SimNode& n = d->nodes_[i];
    n.subtree.insert(n.id);
    for (int c : n.children)
      n.subtree.insert(d->nodes_[c].subtree.begin(), d->nodes_[c].subtree.end());
    for (const std::string& v : d->villages_) {
      for (const std::string& a : n.area) {
        if (v.compare(0, a.size(), a) == 0) n.villages.push_back(v);
      }
    }
  }
  for (SimNode& n : d->nodes_) {
    v1::NodeConfig& cfg = n.cfg;
    cfg.set_node_id(n.id);
    cfg.set_tier(n.tier);
    for (const auto& a : n.area) cfg.add_working_area(a);
    cfg.set_listen_address("127.0.0.1:0");  // never listened on: sessions run in memory
    cfg.set_data_dir(absl::StrCat("/sim/", n.id));
    cfg.set_insecure(true);
    cfg.set_store_memory_mib(8);
    cfg.set_max_batch_bytes(max_batch_bytes);
    if (n.parent >= 0) {
      cfg.set_parent_id(d->nodes_[n.parent].id);
      cfg.set_parent_address("127.0.0.1:1");  // never dialled
    }
    for (int c : n.children) {
      v1::ChildConfig* child = cfg.add_children();
      child->set_node_id(d->nodes_[c].id);
      for (const auto& a : d->nodes_[c].area) child->add_working_area(a);
    }
    ILP_RETURN_IF_ERROR(ValidateNodeConfig(&cfg));
    n.clock = std::make_unique<FakeClock>(start_ms);
    // Per-node streams from the seed (SplitMix64 of seed and index), so
    // adding a draw at one node never shifts another's.
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (&n - d->nodes_.data() + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    n.random = std::make_unique<SeededRandom>(z ^ (z >> 31));
    ILP_RETURN_IF_ERROR(d->OpenNode(&n));
  }
  return d;
}

District::~District() {
  for (SimNode& n : nodes_) Close(&n.core);
}

absl::Status District::OpenNode(SimNode* n) {
  StoreOptions options;
  options.memory_mib = n->cfg.store_memory_mib();
  options.env = env_.get();  // in memory: no disk to fill, so no reserve
  ILP_ASSIGN_OR_RETURN(n->core, NodeCore::Open(n->cfg, n->clock.get(), n->random.get(), options));
  return absl::OkStatus();
}

void District::SetTime(int64_t true_ms) {
  now_ms_ = true_ms;
  for (SimNode& n : nodes_) n.clock->Set(true_ms + n.clock_offset_ms);
}

absl::StatusOr<uint64_t> District::CrashAndRestart(int i) {
  SimNode& n = nodes_[i];
  fs_->Cut(absl::StrCat(n.cfg.data_dir(), "/"));
  Close(&n.core);
  ILP_ASSIGN_OR_RETURN(uint64_t dropped, fs_->DropUnsynced(absl::StrCat(n.cfg.data_dir(), "/")));
  ILP_RETURN_IF_ERROR(OpenNode(&n));
  return dropped;
}

}  // namespace ilp::sim
