#include "tests/bench/chain.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/common/test_pki.h"

namespace ilp::bench {
namespace {

constexpr std::array<const char*, 4> kIds = {"pos-mawar", "pustu-oetete", "pkm-oebobo", "dinkes-kupang"};
constexpr std::array<const char*, 4> kTiers = {"POSYANDU", "PUSTU", "PUSKESMAS", "DISTRICT"};
constexpr std::array<const char*, 4> kAreas = {"5371031001", "5371031001", "537103", "5371"};

}  // namespace

Chain::Chain(const std::string& dir, LinkShape posyandu_link, bool plaintext)
    : dir_(dir), shape_(posyandu_link), plaintext_(plaintext) {}

Chain::~Chain() {
  for (int t = 0; t < 4; ++t) Stop(t);
}

std::string Chain::data_dir(int tier) const { return absl::StrCat(dir_, "/", kIds[tier], "/data"); }

bool Chain::Start() {
  std::string parent_addr;
  for (int t = 3; t >= 0; --t) {
    std::string cfg = absl::StrCat("node_id: \"", kIds[t], "\" tier: ", kTiers[t], " working_area: \"",
                                   kAreas[t], "\"\nlisten_address: \"127.0.0.1:0\"\ndata_dir: \"",
                                   data_dir(t), "\"\nsync_interval_s: 3600\n");
    if (plaintext_) absl::StrAppend(&cfg, "insecure: true\n");
    if (memory_mib_[t] != 0) absl::StrAppend(&cfg, "store_memory_mib: ", memory_mib_[t], "\n");
    if (t > 0) {
      absl::StrAppend(&cfg, "children { node_id: \"", kIds[t - 1], "\" working_area: \"", kAreas[t - 1], "\" }\n");
    }
    if (t < 3) {
      links_[t] = std::make_unique<LinkProxy>(parent_addr, t == kPosyandu ? shape_ : LinkShape{});
      if (!links_[t]->Start()) {
        std::fprintf(stderr, "ilp-bench: cannot start the link proxy for %s\n", kIds[t]);
        return false;
      }
      absl::StrAppend(&cfg, "parent_id: \"", kIds[t + 1], "\" parent_address: \"", links_[t]->address(), "\"\n");
    }
    const std::string node_dir = absl::StrCat(dir_, "/", kIds[t]);
    std::filesystem::create_directories(node_dir);
    nodes_[t] = std::make_unique<testing::NodeProcess>(node_dir, cfg);
    if (!nodes_[t]->Start()) {
      std::fprintf(stderr, "ilp-bench: %s did not start (see %s)\n", kIds[t], node_dir.c_str());
      return false;
    }
    parent_addr = nodes_[t]->address();
    if (!Connect(t)) return false;
  }
  return true;
}

bool Chain::Connect(int t) {
  auto channel = plaintext_ ? grpc::CreateChannel(nodes_[t]->address(), grpc::InsecureChannelCredentials())
                            : testing::TestPki::Default().Channel(nodes_[t]->address());
  admin_[t] = v1::Admin::NewStub(channel);
  records_[t] = v1::Records::NewStub(channel);
  return true;
}

bool Chain::Restart(int tier) {
  Stop(tier);
  if (!nodes_[tier]->Start()) return false;
  return Connect(tier);
}

double Chain::PeakRssMib(int tier) const {
  if (!nodes_[tier] || nodes_[tier]->pid() <= 0) return 0;
  std::ifstream f(absl::StrCat("/proc/", nodes_[tier]->pid(), "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      uint64_t kb = 0;
      std::string num = line.substr(6);
      num.erase(0, num.find_first_not_of(" \t"));
      num = num.substr(0, num.find(' '));
      if (absl::SimpleAtoi(num, &kb)) return static_cast<double>(kb) / 1024;
    }
  }
  return 0;
}

void Chain::Stop(int tier) {
  if (nodes_[tier] && nodes_[tier]->pid() > 0) nodes_[tier]->Stop();
}

}  // namespace ilp::bench
