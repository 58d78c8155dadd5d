// libFuzzer target: the bundle reader (services/bundle/bundle_file.h).
//
// At start it makes a district CA, a posyandu and a Puskesmas key, and one
// valid bundle of three batches between them. An input is either raw bytes
// for the reader (first byte even), or a script over the valid bundle (first
// byte odd): a cut length, then (offset, xor) pairs applied to its bytes, so
// the fuzzer reaches every stage behind the signature.
//
// After every input: the reader returned (no crash); a bundle read as whole
// holds exactly the original batches; one read as cut short holds a prefix
// of them. Anything else would be an altered file accepted.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "services/bundle/bundle_file.h"
#include "services/pki/ca.h"
#include "tests/common/temp_dir.h"
#include "tests/fuzz/fuzz_node.h"

namespace {

struct World {
  ilp::testing::TempDir dir;
  ilp::bundle::NodeKeys pos, pkm;
  std::unique_ptr<ilp::pki::CertVerifier> verifier;
  std::vector<ilp::v1::Batch> batches;
  std::string file;
};
World* world = nullptr;

using ilp::fuzz::Fail;

ilp::bundle::NodeKeys Issue(const std::string& id) {
  absl::StatusOr<ilp::pki::IssuedCert> c = ilp::pki::IssueNode(world->dir.Sub("ca"), id, {"localhost"}, 30);
  if (!c.ok()) Fail(c.status().ToString());
  return {id, ilp::testing::ReadFile(c->cert_path), ilp::testing::ReadFile(c->key_path)};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  world = new World;
  if (!ilp::pki::InitCa(world->dir.Sub("ca"), "belu", 30).ok()) Fail("InitCa");
  world->pos = Issue("pos-1");
  world->pkm = Issue("pkm-1");
  absl::StatusOr<std::unique_ptr<ilp::pki::CertVerifier>> v =
      ilp::pki::CertVerifier::Create(world->dir.Sub("ca/ca.crt"), world->dir.Sub("ca/crl"));
  if (!v.ok()) Fail(v.status().ToString());
  world->verifier = std::move(*v);
  for (uint64_t c : {3, 7, 9}) {
    ilp::v1::Batch b;
    b.set_cursor(c);
    b.set_count(1);
    b.set_payload(std::string(40 + c, static_cast<char>('a' + c)));
    world->batches.push_back(b);
  }
  ilp::v1::BundleHeader h;
  h.set_bundle_id("00112233445566778899aabbccddeeff");
  h.set_recipient("pkm-1");
  h.set_from_cursor(0);
  h.set_to_cursor(9);
  absl::StatusOr<std::string> f = ilp::bundle::WriteBundle(h, world->batches, world->pos, world->pkm.cert_pem);
  if (!f.ok()) Fail(f.status().ToString());
  world->file = *f;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file;
  if (size == 0 || data[0] % 2 == 0) {
    file.assign(reinterpret_cast<const char*>(data), size);
  } else {
    file = world->file;
    size_t i = 1;
    if (i + 2 <= size) {
      const size_t cut = (size_t{data[i]} << 8 | data[i + 1]) % (file.size() + 1);
      file.resize(cut);
      i += 2;
    }
    for (; i + 3 <= size && !file.empty(); i += 3) {
      file[(size_t{data[i]} << 8 | data[i + 1]) % file.size()] ^= static_cast<char>(data[i + 2]);
    }
  }
  absl::StatusOr<ilp::bundle::OpenedBundle> b = ilp::bundle::ReadBundle(file, *world->verifier, -1, world->pkm);
  if (!b.ok()) return 0;
  if (b->batches.size() > world->batches.size()) Fail("more batches than were written");
  for (size_t k = 0; k < b->batches.size(); ++k) {
    if (b->batches[k].SerializeAsString() != world->batches[k].SerializeAsString()) Fail("an altered batch was returned");
  }
  if (b->complete && b->batches.size() != world->batches.size()) Fail("read as whole with batches missing");
  return 0;
}
