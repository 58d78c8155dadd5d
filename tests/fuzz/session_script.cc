#include "tests/fuzz/session_script.h"

#include "services/replication/batch_codec.h"

namespace ilp::fuzz {
namespace {
// The engine never needs more frames than this; longer scripts only slow a run.
constexpr size_t kMaxFrames = 64;
}  // namespace

Script ParseScript(const uint8_t* data, size_t size) {
  Script s;
  if (size == 0) return s;
  s.mode = data[0];
  size_t i = 1;
  while (i + 3 <= size && s.frames.size() < kMaxFrames) {
    Frame f;
    f.flags = data[i];
    const size_t len = data[i + 1] | (size_t{data[i + 2]} << 8);
    i += 3;
    if (len > size - i) break;
    f.message.assign(reinterpret_cast<const char*>(data + i), len);
    i += len;
    s.frames.push_back(std::move(f));
  }
  return s;
}

std::string EncodeScript(const Script& script) {
  std::string out(1, static_cast<char>(script.mode));
  for (const Frame& f : script.frames) {
    if (f.message.size() > 0xffff) std::abort();  // not expressible; keep seeds small
    out.push_back(static_cast<char>(f.flags));
    out.push_back(static_cast<char>(f.message.size() & 0xff));
    out.push_back(static_cast<char>(f.message.size() >> 8));
    out += f.message;
  }
  return out;
}

std::string ScriptPeerId(uint8_t mode) {
  static const char* const kIds[] = {"pustu-a", "pustu-b", "pustu-x", "pkm-fuzz"};
  return kIds[(mode >> 3) & 3];
}

bool ScriptStream::Read(v1::SyncMessage* msg) {
  if (ended_ || next_ >= script_->frames.size()) {
    ended_ = true;
    return false;
  }
  const Frame& f = script_->frames[next_++];
  if (!msg->ParseFromString(f.message)) {
    ended_ = true;
    return false;
  }
  if ((f.flags & kFrameRawPayload) && msg->has_batch()) {
    absl::StatusOr<std::string> z = CompressPayload(msg->batch().payload());
    if (!z.ok()) std::abort();  // zstd compresses any input
    msg->mutable_batch()->set_payload(*std::move(z));
  }
  return true;
}

bool ScriptStream::Write(const v1::SyncMessage& msg) {
  written_.push_back(msg);
  return true;
}

absl::Status ScriptStream::Finish() {
  if (script_->mode & kModeFinishFails) return absl::UnavailableError("scripted: stream broke");
  return absl::OkStatus();
}

}  // namespace ilp::fuzz
