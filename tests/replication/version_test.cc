// Version skew between a parent and a child (docs/replication.md,
// "Versions"): two builds of the protocol, made by forcing the versions an
// engine speaks. A newer side keeps an older one working; a side that no
// longer speaks the other's version refuses with both versions named, and
// nothing moves.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "tests/replication/harness.h"

namespace ilp {
namespace {

using testing::Hierarchy;
using testing::NewPatient;

constexpr int64_t kT0 = 1'795'392'000'000;
const char kMawar[] = "5371031001";

Hierarchy Pair() {
  return Hierarchy({{"pustu-oetete", v1::PUSTU, {kMawar}, ""},
                    {"pos-mawar", v1::POSYANDU, {kMawar}, "pustu-oetete"}},
                   kT0, 11);
}

bool Holds(Hierarchy& h, const std::string& node, const std::string& id) {
  return h.api(node)->GetPatient([&] {
    v1::GetPatientRequest r;
    r.set_id(id);
    return r;
  }()).ok();
}

// One session moves a patient written at each end, and its non-empty
// batches (one up, one down) were all in `want`.
void ExpectASessionBothWaysIn(Hierarchy& h, v1::BatchEncoding want) {
  const std::string up = NewPatient(h.api("pos-mawar"), "Ani", kMawar).id();
  const std::string down = NewPatient(h.api("pustu-oetete"), "Budi", kMawar).id();
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(Holds(h, "pustu-oetete", up));
  EXPECT_TRUE(Holds(h, "pos-mawar", down));
  const std::vector<v1::BatchEncoding>& seen = h.dialer("pos-mawar")->encodings();
  EXPECT_EQ(seen.size(), 2u) << "one batch up and one down";
  for (v1::BatchEncoding e : seen) EXPECT_EQ(e, want);
}

TEST(VersionTest, ANewerChildSpeaksDownToAnOlderParent) {
  Hierarchy h = Pair();
  h.node("pustu-oetete")->sync()->set_protocol_versions({1, 1});
  h.node("pos-mawar")->sync()->set_protocol_versions({1, 2});
  // Version 1 knows no columns: a parent of it must get protobuf.
  ExpectASessionBothWaysIn(h, v1::BATCH_ENCODING_PROTOBUF);
}

TEST(VersionTest, ANewerParentSpeaksDownToAnOlderChild) {
  Hierarchy h = Pair();
  h.node("pos-mawar")->sync()->set_protocol_versions({1, 1});
  ExpectASessionBothWaysIn(h, v1::BATCH_ENCODING_PROTOBUF);
}

TEST(VersionTest, TwoNodesOfVersionTwoSendColumnarBatches) {
  Hierarchy h = Pair();
  for (const char* n : {"pustu-oetete", "pos-mawar"}) h.node(n)->sync()->set_protocol_versions({1, 2});
  ExpectASessionBothWaysIn(h, v1::BATCH_ENCODING_COLUMNAR);
  EXPECT_EQ(h.Contents("pos-mawar"), h.Contents("pustu-oetete"));
}

// The batches a session of pos-mawar sent and received (it must succeed).
using Sent = std::pair<uint64_t, uint64_t>;  // batches sent, received
Sent Batches(Hierarchy& h) {
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? Sent(s->sent_batches, s->received_batches) : Sent(~0ull, ~0ull);
}

// Version 3: a half with nothing to send is skipped, so an idle session is
// a Hello and a Welcome; a half with something still runs, and what goes up
// still brings its answer down in the same session. What came down is in
// the child's log too, so the next session moves the parent's cursor past
// it (a batch each way, no records); then sessions are idle.
TEST(VersionTest, AnIdleSessionOfVersionThreeSendsNoBatch) {
  Hierarchy h = Pair();  // this build: 1-3
  ExpectASessionBothWaysIn(h, v1::BATCH_ENCODING_COLUMNAR);
  EXPECT_EQ(Batches(h), Sent(1, 1));
  const uint64_t sessions = h.node("pustu-oetete")->sync()->Peer("pos-mawar")->sessions();
  EXPECT_EQ(Batches(h), Sent(0, 0));
  EXPECT_EQ(Batches(h), Sent(0, 0));
  EXPECT_EQ(h.node("pustu-oetete")->sync()->Peer("pos-mawar")->sessions(), sessions + 2);

  const std::string down = NewPatient(h.api("pustu-oetete"), "Citra", kMawar).id();
  EXPECT_EQ(Batches(h), Sent(0, 1));  // nothing up; the patient down
  EXPECT_TRUE(Holds(h, "pos-mawar", down));
  EXPECT_EQ(Batches(h), Sent(1, 1));
  EXPECT_EQ(Batches(h), Sent(0, 0));

  const std::string up = NewPatient(h.api("pos-mawar"), "Dewi", kMawar).id();
  // Up, then down the cursor past the parent's copy of it (no records).
  EXPECT_EQ(Batches(h), Sent(1, 1));
  EXPECT_TRUE(Holds(h, "pustu-oetete", up));
  EXPECT_EQ(Batches(h), Sent(0, 0));
  EXPECT_EQ(h.Contents("pos-mawar"), h.Contents("pustu-oetete"));
}

// A version-2 side still gets an empty batch and an ack each way.
TEST(VersionTest, AnIdleSessionWithAVersionTwoParentSendsEmptyBatches) {
  Hierarchy h = Pair();
  h.node("pustu-oetete")->sync()->set_protocol_versions({1, 2});
  ExpectASessionBothWaysIn(h, v1::BATCH_ENCODING_COLUMNAR);
  EXPECT_EQ(Batches(h), Sent(1, 1));
}

TEST(VersionTest, AParentThatDroppedTheChildsVersionRefusesNamingBoth) {
  Hierarchy h = Pair();
  h.node("pos-mawar")->sync()->set_protocol_versions({1, 1});
  h.node("pustu-oetete")->sync()->set_protocol_versions({2, 2});
  const std::string id = NewPatient(h.api("pos-mawar"), "Ani", kMawar).id();
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("protocol: child pos-mawar speaks sync protocol up to version 1; "
                                      "pustu-oetete speaks 2-2: upgrade the child"),
            std::string::npos)
      << s.status();
  EXPECT_FALSE(Holds(h, "pustu-oetete", id));
  absl::StatusOr<v1::PeerState> peer = h.node("pustu-oetete")->sync()->Peer("pos-mawar");
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_NE(peer->last_error().find("upgrade the child"), std::string::npos) << peer->last_error();
}

TEST(VersionTest, AChildThatDroppedTheParentsVersionRefusesNamingBoth) {
  Hierarchy h = Pair();
  h.node("pustu-oetete")->sync()->set_protocol_versions({1, 1});
  h.node("pos-mawar")->sync()->set_protocol_versions({2, 2});
  const std::string id = NewPatient(h.api("pos-mawar"), "Ani", kMawar).id();
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("protocol: parent pustu-oetete chose sync protocol version 1; this node "
                                      "speaks 2-2: upgrade the parent"),
            std::string::npos)
      << s.status();
  EXPECT_FALSE(Holds(h, "pustu-oetete", id));
}

}  // namespace
}  // namespace ilp
