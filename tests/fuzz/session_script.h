// The input format of sync_session_fuzz, and the stream that plays it.
//
//   byte 0   mode: bit 0 = 0: the fuzz node serves a child (it is pkm-fuzz),
//                  bit 0 = 1: the fuzz node is the child pustu-a of a scripted parent;
//                  bit 1: the stream's Finish() reports a broken stream;
//                  bit 2: the peer is authenticated (serve mode), as
//                  bits 3-4: pustu-a, pustu-b, pustu-x or pkm-fuzz.
//   then frames, each: flags (1 byte; bit 0: batch.payload holds a raw
//   ChangeList that the stream compresses before delivering it, so mutations
//   reach the records inside), length (2 bytes, little endian), a serialized
//   v1::SyncMessage of that length.
// A frame that does not parse, or a truncated one, ends the stream there.
#ifndef ILP_TESTS_FUZZ_SESSION_SCRIPT_H_
#define ILP_TESTS_FUZZ_SESSION_SCRIPT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "services/replication/stream.h"

namespace ilp::fuzz {

inline constexpr uint8_t kModeChild = 1, kModeFinishFails = 2, kModeAuthenticated = 4;
inline constexpr uint8_t kFrameRawPayload = 1;

struct Frame {
  uint8_t flags = 0;
  std::string message;  // serialized v1::SyncMessage
};

struct Script {
  uint8_t mode = 0;
  std::vector<Frame> frames;
};

// Splits an input into mode and frames; stops at a truncated frame.
Script ParseScript(const uint8_t* data, size_t size);
// The input bytes of `script` (ParseScript's inverse).
std::string EncodeScript(const Script& script);
// The certificate node id of an authenticated serve-mode script.
std::string ScriptPeerId(uint8_t mode);

// Plays a script's frames as the messages read; keeps what the engine writes.
class ScriptStream : public ClientSyncStream {
 public:
  explicit ScriptStream(const Script* script) : script_(script) {}
  bool Read(v1::SyncMessage* msg) override;
  bool Write(const v1::SyncMessage& msg) override;
  void WritesDone() override {}
  absl::Status Finish() override;

  const std::vector<v1::SyncMessage>& written() const { return written_; }
  // True once Read returned false (the script ended or a frame was bad).
  bool ended() const { return ended_; }

 private:
  const Script* script_;
  size_t next_ = 0;
  bool ended_ = false;
  std::vector<v1::SyncMessage> written_;
};

}  // namespace ilp::fuzz

#endif  // ILP_TESTS_FUZZ_SESSION_SCRIPT_H_
