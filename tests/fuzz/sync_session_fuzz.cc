// libFuzzer target: a sync session fed an arbitrary sequence of messages
// (format: session_script.h), in either role, against a real store.
//
// After every input: the engine returned (no crash, no hang); what it wrote
// is well formed (Welcome or Hello first; every batch it sent decompresses to
// a ChangeList of Records); the change log never shrinks; a child's up cursor
// moved only within the head its Hello announced; the child's acknowledged
// up cursor never passes its own head. Every `reset_every` inputs the store
// must pass Store::Verify() (fuzz_node.h).
#include <cstdint>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "services/replication/batch_codec.h"
#include "services/replication/sync_engine.h"
#include "tests/fuzz/fuzz_node.h"
#include "tests/fuzz/session_script.h"

namespace ilp::fuzz {
namespace {

// Meta keys the engine keeps (docs/replication.md, "Cursors").
constexpr char kUpCursorPrefix[] = "cursor/up/";
constexpr char kUpAcked[] = "acked/up";

uint64_t MetaU64(Store* store, const std::string& key) {
  uint64_t v = 0;
  absl::StatusOr<std::string> raw = store->GetMeta(key);
  if (raw.ok() && !absl::SimpleAtoi(*raw, &v)) v = 0;
  return v;
}

// Every batch the engine sent must decode: the peer would refuse it otherwise.
void CheckWritten(const std::vector<v1::SyncMessage>& written, v1::SyncMessage::MsgCase first) {
  if (!written.empty() && written[0].msg_case() != first) Fail("first message of the wrong kind");
  for (const v1::SyncMessage& m : written) {
    if (!m.has_batch()) continue;
    absl::StatusOr<v1::ChangeList> list = DecodeBatchPayload(m.batch(), 64u << 20, nullptr);
    Check(list.status(), "decoding a batch the engine sent");
    for (const std::string& r : list->records()) {
      v1::Record rec;
      if (!rec.ParseFromString(r)) Fail("a sent batch holds a non-Record");
    }
  }
}

void ServeOne(FuzzNode* node, const Script& script) {
  Store* store = node->store();
  const uint64_t head_before = store->LastSeq();
  uint64_t cursor_before[2];
  const char* kids[2] = {"pustu-a", "pustu-b"};
  for (int i = 0; i < 2; ++i) cursor_before[i] = MetaU64(store, std::string(kUpCursorPrefix) + kids[i]);

  SyncEngine engine(node->cfg(), store, node->hlc());
  ScriptStream stream(&script);
  SessionPeer peer;
  peer.authenticated = script.mode & kModeAuthenticated;
  if (peer.authenticated) peer.node_id = ScriptPeerId(script.mode);
  absl::Status st = engine.ServeChildSession(&stream, peer);

  if (store->LastSeq() < head_before) Fail("the change log shrank");
  v1::SyncMessage hello;
  const bool has_hello = !script.frames.empty() &&
                         hello.ParseFromString(script.frames[0].message) && hello.has_hello();
  for (int i = 0; i < 2; ++i) {
    const uint64_t after = MetaU64(store, std::string(kUpCursorPrefix) + kids[i]);
    if (after == cursor_before[i]) continue;
    if (!has_hello || hello.hello().node_id() != kids[i]) Fail("a cursor moved for another child");
    if (after > hello.hello().head()) Fail("an up cursor passed the head the child announced");
  }
  CheckWritten(stream.written(), v1::SyncMessage::kWelcome);
  if (st.ok() && !stream.ended()) Fail("a session succeeded before its stream ended");
}

void ChildOne(FuzzNode* node, const Script& script) {
  Store* store = node->store();
  const uint64_t head_before = store->LastSeq();
  SyncEngine engine(node->cfg(), store, node->hlc());
  ScriptStream stream(&script);
  absl::StatusOr<SessionStats> st = engine.RunChildSession(&stream);

  if (store->LastSeq() < head_before) Fail("the change log shrank");
  if (MetaU64(store, kUpAcked) > store->LastSeq()) Fail("acked/up passed the child's head");
  CheckWritten(stream.written(), v1::SyncMessage::kHello);
  if (st.ok() && (script.mode & kModeFinishFails)) Fail("a session succeeded on a broken stream");
}

}  // namespace
}  // namespace ilp::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ilp::fuzz;
  static FuzzNode* parent = new FuzzNode(ParentConfig(), 0);
  static FuzzNode* child = new FuzzNode(ChildConfig(), 0);
  const Script script = ParseScript(data, size);
  FuzzNode* node = (script.mode & kModeChild) ? child : parent;
  node->NextInput();
  node->clock()->Advance(1000);
  if (script.mode & kModeChild) {
    ChildOne(node, script);
  } else {
    ServeOne(node, script);
  }
  return 0;
}
