// The columnar batch encoding (services/replication/columnar.h): exact to
// the byte for every record it accepts, smaller than protobuf for visits,
// and every malformed payload refused with INVALID_ARGUMENT, not a crash.
#include "services/replication/columnar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "ilp/v1/state.pb.h"
#include "services/replication/batch_codec.h"
#include "storage/util/ids.h"
#include "storage/util/random.h"
#include "tests/merge/record_gen.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;
constexpr size_t kCap = 8u << 20;

void SetStamp(v1::Stamp* s, int64_t ms, const std::string& node) {
  s->set_wall_ms(ms);
  s->set_node(node);
  s->set_anchor_ms(ms - 40);
}

// A posyandu visit as a batch carries it: an encounter, its observations
// (doubles such as 12.3 kg) and the write's audit event.
void AddVisit(SeededRandom* rnd, int64_t ms, const std::string& patient, v1::ChangeList* list) {
  const std::string node = "pos-mawar-5371031001";
  v1::Record enc;
  enc.set_id(NewUuidV7(ms, rnd));
  SetStamp(enc.mutable_created(), ms, node);
  std::string digest;  // a BLAKE2b digest: 32 bytes that look random
  for (int i = 0; i < 4; ++i) {
    const uint64_t w = rnd->Next64();
    digest.append(reinterpret_cast<const char*>(&w), 8);
  }
  enc.set_create_digest(digest);
  v1::Encounter* e = enc.mutable_encounter();
  e->set_id(enc.id());
  e->set_patient_id(patient);
  e->set_kind(v1::POSYANDU_SESSION);
  e->set_life_stage(v1::TODDLER);
  e->set_node(node);
  e->set_performer("kader-01");
  e->mutable_time()->set_seconds(ms / 1000);
  e->set_status(v1::FINAL);
  list->add_records(enc.SerializeAsString());
  const double values[] = {12.3, 87.5, 14.25, 0.1 + 0.2};  // the last is no short decimal
  const char* loinc[] = {"29463-7", "8302-2", "56072-2", "8287-5"};
  for (int i = 0; i < 4; ++i) {
    v1::Record obs;
    obs.set_id(NewUuidV7(ms, rnd));
    SetStamp(obs.mutable_created(), ms, node);
    v1::Observation* o = obs.mutable_observation();
    o->set_id(obs.id());
    o->set_patient_id(patient);
    o->set_encounter_id(enc.id());
    o->set_loinc(loinc[i]);
    o->set_value(values[i]);
    o->set_unit(i == 0 ? "kg" : "cm");
    o->mutable_time()->set_seconds(ms / 1000);
    o->set_status(v1::FINAL);
    list->add_records(obs.SerializeAsString());
  }
  v1::Record audit;
  audit.set_id(NewUuidV7(ms, rnd));
  SetStamp(audit.mutable_created(), ms, node);
  v1::AuditEvent* a = audit.mutable_audit();
  a->set_sub("kader-01");
  a->set_role("kader");
  a->set_rpc("RecordEncounter");
  a->add_patient_ids(patient);
  a->add_record_ids(enc.id());
  a->set_node(node);
  a->set_outcome("OK");
  list->add_records(audit.SerializeAsString());
}

v1::ChangeList Visits(int n, uint64_t seed) {
  SeededRandom rnd(seed);
  v1::ChangeList list;
  std::string patient;
  for (int i = 0; i < n; ++i) {
    const int64_t ms = kT0 + i * 7'000;
    if (i % 20 == 0) {
      v1::Record p;
      p.set_id(NewUuidV7(ms, &rnd));
      patient = p.id();
      SetStamp(p.mutable_created(), ms, "pos-mawar-5371031001");
      p.mutable_patient()->mutable_value()->set_id(p.id());
      p.mutable_patient()->mutable_value()->set_name("Siti Aminah");
      p.mutable_patient()->mutable_value()->mutable_address()->set_village_code("5371031001");
      v1::FieldVersion* v = p.mutable_patient()->add_versions();
      v->set_field("name");
      SetStamp(v->mutable_stamp(), ms, "pos-mawar-5371031001");
      list.add_records(p.SerializeAsString());
    }
    AddVisit(&rnd, ms, patient, &list);
  }
  return list;
}

void ExpectSameRecords(const v1::ChangeList& got, const v1::ChangeList& want) {
  ASSERT_EQ(got.records_size(), want.records_size());
  for (int i = 0; i < want.records_size(); ++i) {
    ASSERT_EQ(got.records(i), want.records(i)) << "records[" << i << "] differs";
  }
}

// Encoded and decoded again, `list` comes back byte for byte.
void ExpectRoundTrip(const v1::ChangeList& list) {
  absl::StatusOr<std::string> enc = EncodeColumnar(list);
  ASSERT_TRUE(enc.ok()) << enc.status();
  absl::StatusOr<v1::ChangeList> dec = DecodeColumnar(*enc, kCap);
  ASSERT_TRUE(dec.ok()) << dec.status();
  ExpectSameRecords(*dec, list);
}

TEST(ColumnarTest, VisitsComeBackByteForByte) {
  const v1::ChangeList list = Visits(300, 1);
  ExpectRoundTrip(list);
}

TEST(ColumnarTest, RandomRecordsOfEveryKindComeBackByteForByte) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    testing::RecordGen gen(seed);
    v1::ChangeList list;
    for (int r = 0; r < 20; ++r) {
      const int n = std::uniform_int_distribution<int>(1, 6)(gen.rng());
      const std::vector<v1::Record> deltas = gen.Deltas(absl::StrCat("rec-", r % 7), n);
      for (const v1::Record& d : deltas) list.add_records(d.SerializeAsString());
      list.add_records(gen.RandomState(deltas).SerializeAsString());
    }
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    ExpectRoundTrip(list);
  }
}

TEST(ColumnarTest, AVisitBatchIsSmallerThanProtobufAfterZstd) {
  const v1::ChangeList list = Visits(1000, 2);
  v1::Batch proto, columnar;
  ASSERT_TRUE(EncodeBatchPayload(list, v1::BATCH_ENCODING_PROTOBUF, &proto).ok());
  ASSERT_TRUE(EncodeBatchPayload(list, v1::BATCH_ENCODING_COLUMNAR, &columnar).ok());
  EXPECT_EQ(proto.encoding(), v1::BATCH_ENCODING_PROTOBUF);
  EXPECT_EQ(columnar.encoding(), v1::BATCH_ENCODING_COLUMNAR);
  // Not a benchmark (docs/performance.md has the figures): only that the
  // encoding earns its keep on the records it was made for.
  EXPECT_LT(columnar.payload().size() * 4, proto.payload().size() * 3)
      << columnar.payload().size() << " vs " << proto.payload().size();
  absl::StatusOr<v1::ChangeList> back = DecodeBatchPayload(columnar, kCap, nullptr);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameRecords(*back, list);
}

TEST(ColumnarTest, UnknownFieldsAndOddValuesSurvive) {
  v1::Record r;
  r.set_id("8F14E45F-CEEA-467F-A0E6-1A2B3C4D5E6F");  // upper case: stays text
  v1::Observation* o = r.mutable_observation();
  o->set_patient_id("0194f0a2-7c3b-7def-8abc-0123456789ab");
  o->set_encounter_id("0194f0a2-7c3b-7def-8abc-0123456789ab");  // the same UUID again
  o->set_value(-0.0);
  std::string bytes = r.SerializeAsString();
  // Fields this build does not know, of every wire type, at the top and
  // inside a known message.
  bytes += std::string("\xb8\x3e\x96\x01", 4);                    // field 999, varint 150
  bytes += std::string("\xb9\x3e", 2) + std::string(8, '\x07');  // field 999, fixed64
  bytes += std::string("\xbd\x3e", 2) + std::string(4, '\x09');  // field 999, fixed32
  bytes += std::string("\xba\x3e\x03", 3) + "abc";                // field 999, bytes
  v1::Record nested;
  nested.mutable_created()->set_wall_ms(5);
  std::string stamp = nested.created().SerializeAsString() + std::string("\xa0\x06\x01", 3);
  bytes += std::string("\x12", 1) + static_cast<char>(stamp.size()) + stamp;  // Record.created
  v1::ChangeList list;
  list.add_records(bytes);
  for (double x : {std::nan(""), std::numeric_limits<double>::infinity(), 1e300, 5e-324,
                   123456.7, -3.25, 0.0}) {
    v1::Record d;
    d.mutable_observation()->set_value(x);
    list.add_records(d.SerializeAsString());
  }
  // More distinct strings in one column than it keeps slots for, then again.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 12; ++i) {
      v1::Record d;
      d.mutable_observation()->set_unit("u" + std::to_string(i));
      list.add_records(d.SerializeAsString());
    }
  }
  list.add_records("");  // an empty record
  ExpectRoundTrip(list);
}

TEST(ColumnarTest, WhatCannotGoExactlyGoesAsProtobuf) {
  v1::ChangeList list = Visits(3, 3);
  v1::Record r;
  r.set_id("x");
  // A non-minimal varint (field 4 = 1 written in two bytes) cannot come back the same.
  list.add_records(r.SerializeAsString() + std::string("\x20\x81\x00", 3));
  absl::StatusOr<std::string> enc = EncodeColumnar(list);
  EXPECT_EQ(enc.status().code(), absl::StatusCode::kFailedPrecondition) << enc.status();
  v1::Batch b;
  ASSERT_TRUE(EncodeBatchPayload(list, v1::BATCH_ENCODING_COLUMNAR, &b).ok());
  EXPECT_EQ(b.encoding(), v1::BATCH_ENCODING_PROTOBUF);
  absl::StatusOr<v1::ChangeList> back = DecodeBatchPayload(b, kCap, nullptr);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameRecords(*back, list);
  // A group (wire types 3 and 4) likewise.
  v1::ChangeList groups;
  groups.add_records(std::string("\x0b\x0c", 2));
  EXPECT_EQ(EncodeColumnar(groups).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ColumnarTest, AnEmptyBatchGoesAsProtobufWhichIsShorter) {
  v1::Batch columnar, proto;
  ASSERT_TRUE(EncodeBatchPayload(v1::ChangeList(), v1::BATCH_ENCODING_COLUMNAR, &columnar).ok());
  ASSERT_TRUE(EncodeBatchPayload(v1::ChangeList(), v1::BATCH_ENCODING_PROTOBUF, &proto).ok());
  EXPECT_EQ(columnar.encoding(), v1::BATCH_ENCODING_PROTOBUF);
  absl::StatusOr<std::string> raw_columns = EncodeColumnar(v1::ChangeList());
  ASSERT_TRUE(raw_columns.ok());
  absl::StatusOr<std::string> z = CompressPayload(*raw_columns);
  ASSERT_TRUE(z.ok());
  EXPECT_LT(proto.payload().size(), z->size());
  absl::StatusOr<v1::ChangeList> back = DecodeBatchPayload(columnar, kCap, nullptr);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->records_size(), 0);
}

TEST(ColumnarTest, EveryTruncationAndEveryFlippedByteIsRefusedOrDecodedWithinTheCap) {
  const v1::ChangeList list = Visits(3, 4);
  absl::StatusOr<std::string> enc = EncodeColumnar(list);
  ASSERT_TRUE(enc.ok()) << enc.status();
  for (size_t n = 0; n < enc->size(); ++n) {
    absl::StatusOr<v1::ChangeList> dec = DecodeColumnar(enc->substr(0, n), kCap);
    ASSERT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument) << "prefix of " << n;
    EXPECT_NE(dec.status().message().find("batch.payload: columnar: "), std::string::npos);
  }
  size_t raw = 0;
  for (const std::string& r : list.records()) raw += r.size();
  const size_t cap = raw + 64;
  size_t decoded = 0;
  for (size_t i = 0; i < enc->size(); ++i) {
    for (int bit : {0x01, 0x80}) {
      std::string bad = *enc;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      absl::StatusOr<v1::ChangeList> dec = DecodeColumnar(bad, cap);
      if (dec.ok()) {
        size_t total = 0;
        for (const std::string& r : dec->records()) total += r.size();
        EXPECT_LE(total, cap);
        ++decoded;
      } else {
        ASSERT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument) << dec.status();
      }
    }
  }
  // Some flips only change a value (a digit of a timestamp): those decode.
  EXPECT_GT(decoded, 0u);
}

TEST(ColumnarTest, RecordsBeyondTheCapAreRefusedNamingIt) {
  const v1::ChangeList list = Visits(50, 5);
  absl::StatusOr<std::string> enc = EncodeColumnar(list);
  ASSERT_TRUE(enc.ok()) << enc.status();
  absl::StatusOr<v1::ChangeList> dec = DecodeColumnar(*enc, 1000);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dec.status().message().find("exceed 1000 bytes"), std::string::npos) << dec.status();
}

TEST(ColumnarTest, HostileStructureIsRefused) {
  // A UUID reference to an id the batch never gave: format 1, 1 record, 3
  // streams (tags, UUIDs, one column) of 2, 0 and 1 bytes; field 1 as a
  // UUID, end of record; the column says 5 ids back (8 slots + 5).
  const std::string bad_ref =
      std::string("\x01\x01\x03\x02\x00\x01", 6) + std::string("\x0c\x00", 2) + "\x0d";
  absl::StatusOr<v1::ChangeList> dec = DecodeColumnar(bad_ref, kCap);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dec.status().message().find("UUID reference 5 of 0"), std::string::npos) << dec.status();
  // Messages nested deeper than any Record: field 1 opened 20 times.
  std::string tags;
  for (int i = 0; i < 20; ++i) tags += '\x0b';
  std::string deep = std::string("\x01\x01\x02", 3) + static_cast<char>(tags.size()) +
                     std::string("\x00", 1) + tags;
  dec = DecodeColumnar(deep, kCap);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dec.status().message().find("nested over"), std::string::npos) << dec.status();
  // An encoding this build does not read.
  v1::Batch b;
  b.set_encoding(static_cast<v1::BatchEncoding>(7));
  absl::StatusOr<std::string> z = CompressPayload("");
  ASSERT_TRUE(z.ok());
  b.set_payload(*z);
  dec = DecodeBatchPayload(b, kCap, nullptr);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dec.status().message().find("batch.encoding: 7"), std::string::npos) << dec.status();
}

}  // namespace
}  // namespace ilp
