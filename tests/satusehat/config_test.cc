// The satusehat block of a node config: each broken rule is one error naming
// the field.
#include <gtest/gtest.h>

#include "services/node/satusehat_config.h"

namespace ilp {
namespace {

v1::SatusehatConfig Valid() {
  v1::SatusehatConfig c;
  c.set_base_url("https://api-satusehat.kemkes.go.id");
  v1::SatusehatOrganization* o = c.add_organizations();
  o->set_org_ihs("100011961");
  o->set_client_id("client");
  o->set_client_secret_file("/etc/ilp/secret");
  o->set_puskesmas_node_id("pkm-oebobo");
  v1::SatusehatSite* s = o->add_sites();
  s->set_node_id("pos-melati");
  s->set_location_ihs("loc-1");
  return c;
}

std::string Error(v1::SatusehatConfig c) {
  absl::Status st = ValidateSatusehatConfig(&c);
  return st.ok() ? "ok" : std::string(st.message());
}

TEST(SatusehatConfigTest, ValidConfigGetsDefaults) {
  v1::SatusehatConfig c = Valid();
  ASSERT_TRUE(ValidateSatusehatConfig(&c).ok());
  EXPECT_EQ(c.interval_s(), 60u);
  EXPECT_EQ(c.held_recheck_s(), 3600u);
  EXPECT_EQ(c.timeout_s(), 30u);
}

TEST(SatusehatConfigTest, PlainHttpOnlyToLoopback) {
  v1::SatusehatConfig c = Valid();
  c.set_base_url("http://api-satusehat.kemkes.go.id");
  EXPECT_EQ(Error(c), "satusehat.base_url: must be https:// (plain http only to 127.0.0.1 or localhost)");
  c.set_base_url("http://127.0.0.1:8080");
  EXPECT_EQ(Error(c), "ok");
  c.set_base_url("https://api-satusehat.kemkes.go.id/");
  EXPECT_EQ(Error(c), "satusehat.base_url: must have no trailing '/' and no query");
}

TEST(SatusehatConfigTest, AnOrganizationIsExportedOnce) {
  v1::SatusehatConfig c = Valid();
  *c.add_organizations() = c.organizations(0);
  c.mutable_organizations(1)->mutable_sites(0)->set_node_id("pos-mawar");
  EXPECT_EQ(Error(c), "satusehat.organizations[1].org_ihs: listed twice; one exporter per Organization");
}

TEST(SatusehatConfigTest, ASiteBelongsToOneOrganization) {
  v1::SatusehatConfig c = Valid();
  *c.add_organizations() = c.organizations(0);
  c.mutable_organizations(1)->set_org_ihs("100011962");
  EXPECT_EQ(Error(c), "satusehat.organizations[1].sites[0].node_id: listed twice; a site belongs to one Organization");
}

TEST(SatusehatConfigTest, EachRequiredFieldIsNamed) {
  v1::SatusehatConfig c = Valid();
  c.mutable_organizations(0)->clear_client_secret_file();
  EXPECT_EQ(Error(c), "satusehat.organizations[0].client_secret_file: is required");
  c = Valid();
  c.mutable_organizations(0)->mutable_sites(0)->clear_location_ihs();
  EXPECT_EQ(Error(c), "satusehat.organizations[0].sites[0].location_ihs: is required");
  c = Valid();
  c.mutable_organizations(0)->mutable_sites(0)->set_supervisor_practitioner_ihs("N1 0");
  EXPECT_EQ(Error(c), "satusehat.organizations[0].sites[0].supervisor_practitioner_ihs: must be letters, digits, '-' or '.'");
  c = Valid();
  c.mutable_organizations(0)->clear_sites();
  EXPECT_EQ(Error(c), "satusehat.organizations[0].sites: must list at least one site (node id and Location)");
  c = Valid();
  v1::SatusehatPractitioner* p = c.mutable_organizations(0)->add_practitioners();
  p->set_performer("dr-ani");
  EXPECT_EQ(Error(c), "satusehat.organizations[0].practitioners[0].ihs: is required");
}

}  // namespace
}  // namespace ilp
