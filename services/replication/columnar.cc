#include "services/replication/columnar.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "ilp/v1/state.pb.h"

namespace ilp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Layout: a format byte, varint record count, varint stream count, each
// stream's length (varint), then the streams: tags, the UUIDs' bytes, then
// one per column in the order the tags first name them.
constexpr char kFormat = 1;
constexpr size_t kTagStream = 0, kUuidStream = 1, kFirstColumn = 2;

// What a tag says about its value (the low 3 bits; the field number above).
enum Kind : uint32_t {
  kVarint = 0,   // column: zigzag of the difference from the column's last value
  kFixed64 = 1,  // column: 8 bytes
  kBytes = 2,    // column: slot of a recent value, or 0 and the literal
  kMessage = 3,  // the message's own tags follow, ended by tag 0
  kUuid = 4,     // column: 0 new (16 bytes in the UUID stream), a slot of a
                 // recent id of the column, or kSlots + how far back in the batch
  kFixed32 = 5,  // column: 4 bytes
  kDecimal = 6,  // column: a double as digits and a power of ten
};

constexpr int kMaxDepth = 12;            // Record > PatientState > Patient > Address is 3
constexpr size_t kMaxColumns = 1 << 14;  // fields times paths; the schema has a few hundred
constexpr size_t kSlots = 8;
constexpr double kPow10[8] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};

void PutVarint(std::string* out, uint64_t v) {
  if (v < 0x80) {  // most tags, deltas, lengths and slots
    out->push_back(static_cast<char>(v));
    return;
  }
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a varint at *pos; false if truncated or longer than 10 bytes.
bool GetVarint(absl::string_view in, size_t* pos, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

// As GetVarint, and the encoding must be the shortest (what protobuf writes),
// so that writing the value again gives the same bytes.
bool GetMinimalVarint(absl::string_view in, size_t* pos, uint64_t* v) {
  const size_t start = *pos;
  return GetVarint(in, pos, v) && *pos - start == VarintLength(*v);
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Hex digit values of lowercase hex characters; -1 for every other byte.
struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = static_cast<int8_t>(10 + i);
  }
};
constexpr HexTable kHexValue;

// The 16 bytes of `s` if it is a lowercase canonical UUID (36 characters,
// dashes at 8, 13, 18 and 23): what writing them back as text gives exactly.
bool ParseCanonicalUuid(absl::string_view s, std::array<char, 16>* b) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  size_t j = 0;
  for (size_t i = 0; i < 36; i += 2) {
    if (i == 8 || i == 13 || i == 18 || i == 23) ++i;
    const int hi = kHexValue.v[static_cast<uint8_t>(s[i])];
    const int lo = kHexValue.v[static_cast<uint8_t>(s[i + 1])];
    if ((hi | lo) < 0) return false;
    (*b)[j++] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

void AppendUuidText(const std::array<char, 16>& b, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  size_t j = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[j++] = '-';
    const uint8_t v = static_cast<uint8_t>(b[i]);
    text[j++] = kHex[v >> 4];
    text[j++] = kHex[v & 15];
  }
  out->append(text, sizeof text);
}

double DecimalValue(uint64_t v) {
  return static_cast<double>(UnZigZag(v >> 3)) / kPow10[v & 7];
}

// A double that is m / 10^k exactly, bit for bit, with k < 8 and |m| < 2^53.
bool AsDecimal(double x, uint64_t* out) {
  if (!std::isfinite(x)) return false;
  for (uint64_t k = 0; k < 8; ++k) {
    const double s = std::nearbyint(x * kPow10[k]);
    if (std::fabs(s) >= 9007199254740992.0) return false;
    const uint64_t v = ZigZag(static_cast<int64_t>(s)) << 3 | k;
    const double back = DecimalValue(v);
    if (std::memcmp(&back, &x, sizeof x) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// One column's state, the same on both sides.
struct Column {
  std::string data;         // encoder: what it wrote
  absl::string_view in;     // decoder: the column's stream
  size_t pos = 0;           // decoder: read position in `in`
  uint64_t last = 0;  // kVarint: the last value
  // kBytes: the most recent distinct values first, at most kSlots. Views
  // into the encoder's records or the decoder's payload, which outlive them.
  std::vector<absl::string_view> recent;
  std::vector<size_t> recent_ids;  // kUuid: the same, as positions in the batch's UUIDs

  // Moves the i-th most recent value to the front.
  template <typename T>
  static void Touch(std::vector<T>* mru, size_t i) {
    std::rotate(mru->begin(), mru->begin() + i, mru->begin() + i + 1);
  }
  template <typename T>
  static void Remember(std::vector<T>* mru, T v) {
    if (mru->size() == kSlots) mru->pop_back();
    mru->insert(mru->begin(), v);
  }
};

// Paths and columns, numbered in order of first use: a path is (parent
// path, field number), a column (path, field number, kind). Looked up once
// per value, so fields under 64 of the first paths have a direct table.
class Layout {
 public:
  bool Path(uint32_t parent, uint32_t field, uint32_t* path) {
    auto [it, fresh] = paths_.try_emplace(uint64_t{parent} << 32 | field, paths_.size() + 1);
    if (fresh && paths_.size() > kMaxColumns) return false;
    *path = it->second;
    return true;
  }
  Column* Col(uint32_t path, uint32_t tag) {
    int32_t* slot = nullptr;
    if (path < kDirectPaths && tag < kDirectTags) {
      if (direct_.size() <= path) direct_.resize(path + 1);
      std::vector<int32_t>& row = direct_[path];
      if (row.empty()) row.assign(kDirectTags, -1);
      slot = &row[tag];
      if (*slot >= 0) return &columns_[*slot];
    }
    size_t index = columns_.size();
    if (slot == nullptr) {
      auto [it, fresh] = index_.try_emplace(uint64_t{path} << 32 | tag, columns_.size());
      if (!fresh) return &columns_[it->second];
    }
    if (index >= kMaxColumns) return nullptr;
    if (slot != nullptr) *slot = static_cast<int32_t>(index);
    columns_.emplace_back();
    return &columns_[index];
  }
  std::deque<Column>& columns() { return columns_; }

 private:
  static constexpr uint32_t kDirectPaths = 256, kDirectTags = 64 << 3;
  absl::flat_hash_map<uint64_t, uint32_t> paths_;  // path 0 is the Record
  std::vector<std::vector<int32_t>> direct_;       // [path][tag] -> column, -1 none yet
  absl::flat_hash_map<uint64_t, size_t> index_;    // the rest
  std::deque<Column> columns_;
};

// True if `in` is a message the encoder can transcode exactly: minimal
// varints, no groups, lengths within bounds, and so for every field that
// the descriptor says is a message (the encoder descends into those).
bool Transcodable(absl::string_view in, const Descriptor* d, int depth) {
  size_t pos = 0;
  while (pos < in.size()) {
    uint64_t tag = 0, v = 0;
    if (!GetMinimalVarint(in, &pos, &tag) || (tag >> 3) == 0 || (tag >> 3) > (1u << 29) - 1) {
      return false;
    }
    switch (tag & 7) {
      case 0:
        if (!GetMinimalVarint(in, &pos, &v)) return false;
        break;
      case 1:
        if (in.size() - pos < 8) return false;
        pos += 8;
        break;
      case 5:
        if (in.size() - pos < 4) return false;
        pos += 4;
        break;
      case 2: {
        if (!GetMinimalVarint(in, &pos, &v) || v > in.size() - pos) return false;
        const FieldDescriptor* f = d ? d->FindFieldByNumber(static_cast<int>(tag >> 3)) : nullptr;
        if (f && f->type() == FieldDescriptor::TYPE_MESSAGE &&
            (depth + 1 >= kMaxDepth || !Transcodable(in.substr(pos, v), f->message_type(), depth + 1))) {
          return false;
        }
        pos += v;
        break;
      }
      default:
        return false;  // groups
    }
  }
  return true;
}

class Encoder {
 public:
  // One record: its fields, then the end tag.
  absl::Status Record(absl::string_view in) {
    if (absl::Status s = Message(in, v1::Record::descriptor(), 0); !s.ok()) return s;
    PutVarint(&tags_, 0);
    return absl::OkStatus();
  }

 private:
  absl::Status Message(absl::string_view in, const Descriptor* d, uint32_t path) {
    size_t pos = 0;
    while (pos < in.size()) {
      uint64_t tag = 0, v = 0;
      GetVarint(in, &pos, &tag);  // Transcodable checked every read here
      const uint32_t field = static_cast<uint32_t>(tag >> 3);
      const FieldDescriptor* f = Field(d, path, field);
      switch (tag & 7) {
        case 0: {
          GetVarint(in, &pos, &v);
          Column* c = Put(path, field, kVarint);
          if (c == nullptr) return TooWide();
          PutVarint(&c->data, ZigZag(static_cast<int64_t>(v - c->last)));
          c->last = v;
          break;
        }
        case 1: {
          double x;
          std::memcpy(&x, in.data() + pos, 8);
          uint64_t dec = 0;
          const bool decimal = f && f->type() == FieldDescriptor::TYPE_DOUBLE && AsDecimal(x, &dec);
          Column* c = Put(path, field, decimal ? kDecimal : kFixed64);
          if (c == nullptr) return TooWide();
          if (decimal) {
            PutVarint(&c->data, dec);
          } else {
            c->data.append(in.data() + pos, 8);
          }
          pos += 8;
          break;
        }
        case 5: {
          Column* c = Put(path, field, kFixed32);
          if (c == nullptr) return TooWide();
          c->data.append(in.data() + pos, 4);
          pos += 4;
          break;
        }
        default: {  // 2: Transcodable allows nothing else
          GetVarint(in, &pos, &v);
          const absl::string_view value = in.substr(pos, v);
          pos += v;
          if (f && f->type() == FieldDescriptor::TYPE_MESSAGE) {
            PutTag(field, kMessage);
            uint32_t sub = 0;
            if (!layout_.Path(path, field, &sub)) return TooWide();
            if (absl::Status s = Message(value, f->message_type(), sub); !s.ok()) return s;
            PutVarint(&tags_, 0);
          } else if (std::array<char, 16> id;
                     f && f->type() == FieldDescriptor::TYPE_STRING && ParseCanonicalUuid(value, &id)) {
            Column* c = Put(path, field, kUuid);
            if (c == nullptr) return TooWide();
            Uuid(c, id);
          } else {
            Column* c = Put(path, field, kBytes);
            if (c == nullptr) return TooWide();
            Bytes(c, value);
          }
        }
      }
    }
    return absl::OkStatus();
  }


 public:
  std::string Finish(size_t records) {
    std::vector<const std::string*> streams = {&tags_, &uuids_};
    for (const Column& c : layout_.columns()) streams.push_back(&c.data);
    std::string out(1, kFormat);
    PutVarint(&out, records);
    PutVarint(&out, streams.size());
    size_t total = 0;
    for (const std::string* s : streams) {
      PutVarint(&out, s->size());
      total += s->size();
    }
    out.reserve(out.size() + total);
    for (const std::string* s : streams) out.append(*s);
    return out;
  }

 private:
  static absl::Status TooWide() {
    return absl::FailedPreconditionError("columnar: more field paths than a batch may have");
  }
  void PutTag(uint32_t field, Kind k) { PutVarint(&tags_, uint64_t{field} << 3 | k); }
  // d->FindFieldByNumber(field), remembered per path (a path has one type).
  const FieldDescriptor* Field(const Descriptor* d, uint32_t path, uint32_t field) {
    if (d == nullptr) return nullptr;
    if (path >= 256 || field >= 64) return d->FindFieldByNumber(static_cast<int>(field));
    if (fields_.size() <= path) fields_.resize(path + 1);
    auto& row = fields_[path];
    if (row.empty()) row.assign(64, {false, nullptr});
    if (!row[field].first) row[field] = {true, d->FindFieldByNumber(static_cast<int>(field))};
    return row[field].second;
  }
  Column* Put(uint32_t path, uint32_t field, Kind k) {
    PutTag(field, k);
    return layout_.Col(path, field << 3 | k);
  }
  void Uuid(Column* c, const std::array<char, 16>& b) {
    std::pair<uint64_t, uint64_t> key;
    std::memcpy(&key.first, b.data(), 8);
    std::memcpy(&key.second, b.data() + 8, 8);
    auto [it, fresh] = seen_.try_emplace(key, seen_.size());
    const size_t id = it->second;
    if (fresh) {
      PutVarint(&c->data, 0);
      uuids_.append(b.data(), b.size());
    } else {
      for (size_t i = 0; i < c->recent_ids.size(); ++i) {
        if (c->recent_ids[i] == id) {
          PutVarint(&c->data, i + 1);
          Column::Touch(&c->recent_ids, i);
          return;
        }
      }
      PutVarint(&c->data, kSlots + (seen_.size() - id));
    }
    Column::Remember(&c->recent_ids, id);
  }
  static void Bytes(Column* c, absl::string_view value) {
    for (size_t i = 0; i < c->recent.size(); ++i) {
      if (c->recent[i] == value) {
        PutVarint(&c->data, i + 1);
        Column::Touch(&c->recent, i);
        return;
      }
    }
    PutVarint(&c->data, 0);
    PutVarint(&c->data, value.size());
    c->data.append(value.data(), value.size());
    Column::Remember(&c->recent, value);
  }

  Layout layout_;
  std::string tags_, uuids_;
  std::vector<std::vector<std::pair<bool, const FieldDescriptor*>>> fields_;  // [path][field]
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, size_t> seen_;  // UUID -> order first seen
};

// Inside Decoder: an append that would pass the cap fails the batch.
#define ILP_COLUMNAR_EMIT(ok) \
  if (!(ok)) return Bad(absl::StrCat("the records exceed ", cap_, " bytes"))

class Decoder {
 public:
  Decoder(absl::string_view tags, absl::string_view uuids, std::vector<absl::string_view> columns,
          size_t cap)
      : tags_(tags), uuids_(uuids), given_(std::move(columns)), cap_(cap) {}

  absl::Status Message(uint32_t path, int depth, std::string* out) {
    for (;;) {
      uint64_t tag = 0, v = 0;
      if (!GetVarint(tags_, &tag_pos_, &tag)) return Bad("the tag stream ends inside a record");
      if (tag == 0) return absl::OkStatus();
      const uint64_t field = tag >> 3;
      if (field == 0 || field > (1u << 29) - 1) return Bad(absl::StrCat("field number ", field));
      const uint32_t f = static_cast<uint32_t>(field);
      switch (tag & 7) {
        case kVarint: {
          Column* c = Col(path, f, kVarint);
          if (c == nullptr || !GetVarint(c->in, &c->pos, &v)) return Short(f);
          c->last += static_cast<uint64_t>(UnZigZag(v));
          ILP_COLUMNAR_EMIT(Header(out, f, 0) && Varint(out, c->last));
          break;
        }
        case kFixed64:
        case kFixed32: {
          const size_t n = (tag & 7) == kFixed64 ? 8 : 4;
          Column* c = Col(path, f, static_cast<Kind>(tag & 7));
          if (c == nullptr || c->in.size() - c->pos < n) return Short(f);
          ILP_COLUMNAR_EMIT(Header(out, f, n == 8 ? 1 : 5) && Raw(out, c->in.substr(c->pos, n)));
          c->pos += n;
          break;
        }
        case kDecimal: {
          Column* c = Col(path, f, kDecimal);
          if (c == nullptr || !GetVarint(c->in, &c->pos, &v)) return Short(f);
          const double x = DecimalValue(v);
          char bits[8];
          std::memcpy(bits, &x, 8);
          ILP_COLUMNAR_EMIT(Header(out, f, 1) && Raw(out, absl::string_view(bits, 8)));
          break;
        }
        case kBytes: {
          Column* c = Col(path, f, kBytes);
          if (c == nullptr || !GetVarint(c->in, &c->pos, &v)) return Short(f);
          if (v == 0) {
            uint64_t n = 0;
            if (!GetVarint(c->in, &c->pos, &n) || n > c->in.size() - c->pos) return Short(f);
            Column::Remember(&c->recent, c->in.substr(c->pos, n));
            c->pos += n;
          } else if (v <= c->recent.size()) {
            Column::Touch(&c->recent, v - 1);
          } else {
            return Bad(absl::StrCat("field ", f, ": recent value ", v, " of ", c->recent.size()));
          }
          ILP_COLUMNAR_EMIT(Header(out, f, 2) && Varint(out, c->recent[0].size()) &&
                            Raw(out, c->recent[0]));
          break;
        }
        case kUuid: {
          Column* c = Col(path, f, kUuid);
          if (c == nullptr || !GetVarint(c->in, &c->pos, &v)) return Short(f);
          size_t id = 0;
          if (v == 0) {
            if (uuids_.size() - uuid_pos_ < 16) return Bad("the UUID stream ends early");
            id = table_.size();
            table_.push_back(uuid_pos_);
            uuid_pos_ += 16;
            Column::Remember(&c->recent_ids, id);
          } else if (v <= kSlots) {
            if (v > c->recent_ids.size()) {
              return Bad(absl::StrCat("field ", f, ": recent id ", v, " of ", c->recent_ids.size()));
            }
            id = c->recent_ids[v - 1];
            Column::Touch(&c->recent_ids, v - 1);
          } else {
            const uint64_t back = v - kSlots;
            if (back > table_.size()) {
              return Bad(absl::StrCat("field ", f, ": UUID reference ", back, " of ", table_.size()));
            }
            id = table_.size() - back;
            Column::Remember(&c->recent_ids, id);
          }
          std::array<char, 16> b;
          std::memcpy(b.data(), uuids_.data() + table_[id], 16);
          ILP_COLUMNAR_EMIT(Header(out, f, 2) && Varint(out, 36) && Count(36));
          AppendUuidText(b, out);
          break;
        }
        case kMessage: {
          if (depth + 1 >= kMaxDepth) return Bad(absl::StrCat("messages nested over ", kMaxDepth, " deep"));
          uint32_t sub = 0;
          if (!layout_.Path(path, f, &sub)) return Bad("too many field paths");
          ILP_COLUMNAR_EMIT(Header(out, f, 2));
          const size_t start = out->size();
          if (absl::Status s = Message(sub, depth + 1, out); !s.ok()) return s;
          std::string len;
          PutVarint(&len, out->size() - start);
          ILP_COLUMNAR_EMIT(Count(len.size()));
          out->insert(start, len);
          break;
        }
        default:
          return Bad(absl::StrCat("field ", f, ": unknown kind ", tag & 7));
      }
    }
  }

  // Every stream read to its end: nothing is left unexplained.
  absl::Status Done() {
    if (tag_pos_ != tags_.size() || uuid_pos_ != uuids_.size()) {
      return Bad("bytes left over after the last record");
    }
    for (const Column& c : layout_.columns()) {
      if (c.pos != c.in.size()) return Bad("bytes left over in a column");
    }
    if (layout_.columns().size() != given_.size()) return Bad("a column no tag names");
    return absl::OkStatus();
  }

 private:
  static absl::Status Bad(absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("batch.payload: columnar: ", what));
  }
  static absl::Status Short(uint32_t field) {
    return Bad(absl::StrCat("field ", field, ": its column ends early"));
  }
  Column* Col(uint32_t path, uint32_t field, Kind k) {
    const size_t before = layout_.columns().size();
    Column* c = layout_.Col(path, field << 3 | k);
    if (c != nullptr && layout_.columns().size() > before) {
      // A new column takes the next stream; a missing stream reads as empty.
      if (before < given_.size()) c->in = given_[before];
    }
    return c;
  }
  bool Count(size_t n) {
    produced_ += n;
    return produced_ <= cap_;
  }
  bool Header(std::string* out, uint32_t field, int wire) {
    return Varint(out, uint64_t{field} << 3 | wire);
  }
  bool Varint(std::string* out, uint64_t v) {
    if (!Count(VarintLength(v))) return false;
    PutVarint(out, v);
    return true;
  }
  bool Raw(std::string* out, absl::string_view b) {
    if (!Count(b.size())) return false;
    out->append(b.data(), b.size());
    return true;
  }
  absl::string_view tags_, uuids_;
  std::vector<absl::string_view> given_;
  size_t cap_;
  size_t produced_ = 0;
  size_t tag_pos_ = 0, uuid_pos_ = 0;
  std::vector<size_t> table_;  // the batch's UUIDs: where each starts in uuids_
  Layout layout_;
};

#undef ILP_COLUMNAR_EMIT

}  // namespace

absl::StatusOr<std::string> EncodeColumnar(const v1::ChangeList& list) {
  const Descriptor* record = v1::Record::descriptor();
  for (int i = 0; i < list.records_size(); ++i) {
    if (!Transcodable(list.records(i), record, 0)) {
      return absl::FailedPreconditionError(
          absl::StrCat("columnar: records[", i, "] cannot be transcoded exactly"));
    }
  }
  Encoder enc;
  for (const std::string& r : list.records()) {
    if (absl::Status s = enc.Record(r); !s.ok()) return s;
  }
  return enc.Finish(list.records_size());
}

absl::StatusOr<v1::ChangeList> DecodeColumnar(absl::string_view data, size_t cap) {
  const auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("batch.payload: columnar: ", what));
  };
  if (data.empty() || data[0] != kFormat) return bad("unknown format (expected 1)");
  size_t pos = 1;
  uint64_t records = 0, streams = 0;
  if (!GetVarint(data, &pos, &records) || !GetVarint(data, &pos, &streams)) {
    return bad("truncated header");
  }
  if (streams < kFirstColumn || streams > kFirstColumn + kMaxColumns) {
    return bad(absl::StrCat(streams, " streams"));
  }
  std::vector<uint64_t> lengths(streams);
  uint64_t total = 0;
  for (uint64_t& n : lengths) {
    if (!GetVarint(data, &pos, &n) || n > data.size()) return bad("truncated header");
    total += n;
  }
  if (total != data.size() - pos) return bad("stream lengths do not add up to the payload");
  std::vector<absl::string_view> parts;
  for (uint64_t n : lengths) {
    parts.push_back(data.substr(pos, n));
    pos += n;
  }
  // Every record ends with a tag of one byte at least.
  if (records > parts[kTagStream].size()) return bad("more records than tags");
  Decoder dec(parts[kTagStream], parts[kUuidStream],
              std::vector<absl::string_view>(parts.begin() + kFirstColumn, parts.end()), cap);
  v1::ChangeList list;
  for (uint64_t i = 0; i < records; ++i) {
    std::string* r = list.add_records();
    r->reserve(256);  // most records are 150-400 bytes
    if (absl::Status s = dec.Message(0, 0, r); !s.ok()) return s;
  }
  if (absl::Status s = dec.Done(); !s.ok()) return s;
  return list;
}

}  // namespace ilp
