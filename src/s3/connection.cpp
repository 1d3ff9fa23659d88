// SPDX-License-Identifier: Apache-2.0
// The "s3" connection type: reads a connection definition and an $emit stage into sink_options.
#include <memory>
#include <string>
#include <utility>

#include "reel/connector/detail/args.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/s3/checkpoint_store.hpp"
#include "reel/s3/sink.hpp"

namespace reel::s3 {

namespace {

using json = nlohmann::ordered_json;

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

/// Rejects keys of `obj` (at `at` in the stage) outside `allowed`, with a suggestion.
void check_stage_keys(const connection_args& args, const json& obj, const std::string& at,
                      std::initializer_list<std::string_view> allowed, const char* what) {
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (const auto& [key, value] : obj.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      args.stage_error(at + "/" + key, "unknown field '" + key + "' of " + what +
                                           reel::detail::did_you_mean(key, names));
    }
  }
}

std::string definition_string(const connection_args& args, const char* key) {
  const json* v = member(args.definition, key);
  if (!v) return {};
  if (!v->is_string())
    args.definition_error(std::string("/") + key, std::string(key) + " must be a string");
  return v->get<std::string>();
}

std::size_t positive_integer(const connection_args& args, const json& v, const std::string& at,
                             const char* name) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1) {
    args.stage_error(at, std::string(name) + " must be a positive integer");
  }
  return static_cast<std::size_t>(v.get<std::int64_t>());
}

void check_definition(const connection_args& args) {
  check_definition_keys(
      args, "s3",
      {"region", "endpoint", "pathStyle", "accessKeyId", "secretAccessKey", "sessionToken", "aws"});
  if (member(args.definition, "aws")) {
    args.definition_error("/aws",
                          "IAM roles (aws.roleArn) are not supported by reel::s3: give accessKeyId "
                          "and secretAccessKey (e.g. {\"$env\": \"NAME\"}), or set "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  for (const char* key : {"region", "accessKeyId", "secretAccessKey", "sessionToken"}) {
    (void)definition_string(args, key);
  }
  const std::string endpoint = definition_string(args, "endpoint");
  if (!endpoint.empty() && endpoint.rfind("http://", 0) != 0 &&
      endpoint.rfind("https://", 0) != 0) {
    args.definition_error("/endpoint", "endpoint must start with http:// or https://");
  }
  if (const json* v = member(args.definition, "pathStyle"); v && !v->is_boolean()) {
    args.definition_error("/pathStyle", "pathStyle must be true or false");
  }
  const bool id = member(args.definition, "accessKeyId") != nullptr;
  const bool secret = member(args.definition, "secretAccessKey") != nullptr;
  if (id != secret) {
    args.definition_error(id ? "/secretAccessKey" : "/accessKeyId",
                          "accessKeyId and secretAccessKey go together");
  }
}

/// The client settings of an `"s3"` connection definition (region left empty when unset).
client_options client_options_of(const connection_args& args) {
  check_definition(args);
  client_options c;
  c.region = definition_string(args, "region");
  c.endpoint = definition_string(args, "endpoint");
  if (const json* v = member(args.definition, "pathStyle")) c.path_style = v->get<bool>();
  if (member(args.definition, "accessKeyId")) {
    c.credentials.access_key_id = definition_string(args, "accessKeyId");
    c.credentials.secret_access_key = definition_string(args, "secretAccessKey");
    c.credentials.session_token = definition_string(args, "sessionToken");
  } else if (auto env = credentials::from_environment()) {
    c.credentials = std::move(*env);
  } else {
    args.definition_error("", "no credentials for S3 connection '" + args.name +
                                  "': give accessKeyId and secretAccessKey (e.g. {\"$env\": "
                                  "\"NAME\"}), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return c;
}

}  // namespace

checkpoint_store_options checkpoint_store_options_from(const connection_args& args) {
  checkpoint_store_options o;
  o.connection = client_options_of(args);
  if (o.connection.region.empty()) o.connection.region = "us-east-1";
  const json& spec = args.stage;
  if (!spec.is_object()) {
    args.stage_error("", "an S3 checkpoint store takes {connectionName, bucket, prefix}");
  }
  check_stage_keys(args, spec, "", {"connectionName", "bucket", "prefix", "keepLast"},
                   "an S3 checkpoint store");
  const std::string* bucket = reel::detail::optional_string(spec, "bucket", args, true);
  if (!bucket) args.stage_error("", "an S3 checkpoint store requires a bucket");
  o.bucket = *bucket;
  if (const std::string* prefix = reel::detail::optional_string(spec, "prefix", args, true)) {
    o.prefix = *prefix;
  }
  if (const json* keep = member(spec, "keepLast")) {
    o.keep_last = positive_integer(args, *keep, "/keepLast", "keepLast");
  }
  return o;
}

sink_options options_from(const connection_args& args) {
  sink_options o;
  o.where = args.stage_where;
  o.connection = client_options_of(args);
  client_options& c = o.connection;

  const json& st = args.stage;
  if (!st.is_object())
    args.stage_error("", "$emit to S3 takes {connectionName, bucket, path, ...}");
  check_stage_keys(args, st, "", {"connectionName", "bucket", "region", "path", "config"},
                   "$emit to S3");
  const std::string* bucket = reel::detail::optional_string(st, "bucket", args, true);
  if (!bucket) args.stage_error("", "$emit to S3 requires a bucket");
  o.bucket = *bucket;
  if (const std::string* region = reel::detail::optional_string(st, "region", args, true)) {
    c.region = *region;
  }
  if (c.region.empty()) c.region = "us-east-1";
  const json* path = member(st, "path");
  if (!path) args.stage_error("", "$emit to S3 requires a path (a string or an expression)");
  if (!path->is_string() && !path->is_object()) {
    args.stage_error("/path", "path must be a string or an expression");
  }
  o.path = *path;

  const json* config = member(st, "config");
  if (!config) return o;
  if (!config->is_object()) args.stage_error("/config", "config must be an object");
  check_stage_keys(args, *config, "/config",
                   {"writeOptions", "delimiter", "outputFormat", "dateFormat", "compression",
                    "compressionLevel"},
                   "$emit.config");
  if (const json* w = member(*config, "writeOptions")) {
    const std::string at = "/config/writeOptions";
    if (!w->is_object()) args.stage_error(at, "writeOptions must be {count, bytes, interval}");
    check_stage_keys(args, *w, at, {"count", "bytes", "interval"}, "writeOptions");
    if (const json* v = member(*w, "count"))
      o.count = positive_integer(args, *v, at + "/count", "count");
    if (const json* v = member(*w, "bytes"))
      o.bytes = positive_integer(args, *v, at + "/bytes", "bytes");
    if (const json* v = member(*w, "interval")) {
      const std::string iat = at + "/interval";
      if (!v->is_object()) args.stage_error(iat, "interval must be {size, unit}");
      check_stage_keys(args, *v, iat, {"size", "unit"}, "interval");
      std::int64_t size = 1;
      if (const json* s = member(*v, "size")) {
        size = static_cast<std::int64_t>(positive_integer(args, *s, iat + "/size", "size"));
      }
      time_unit unit = time_unit::minute;
      if (const json* u = member(*v, "unit")) {
        auto parsed = u->is_string() ? parse_time_unit(u->get<std::string>()) : std::nullopt;
        if (!parsed)
          args.stage_error(iat + "/unit", "unit must be ms, second, minute, hour or day");
        unit = *parsed;
      }
      if (size > 7 * 86'400'000 / unit_millis(unit)) {
        args.stage_error(iat, "interval must be at most 7 days");
      }
      o.interval = make_duration(size, unit);
    }
  }
  if (const json* v = member(*config, "delimiter")) {
    if (!v->is_string()) args.stage_error("/config/delimiter", "delimiter must be a string");
    o.delimiter = v->get<std::string>();
  }
  o.format = reel::detail::format_of(*config, args, true, "/config", output_format::relaxed);
  o.iso8601_dates = reel::detail::iso8601_dates_of(*config, args, true, "/config", false);
  if (const json* v = member(*config, "compression")) {
    if (!v->is_string()) args.stage_error("/config/compression", "compression must be a string");
    const std::string name = v->get<std::string>();
    if (name == "gzip") {
      o.compression = compression::gzip;
    } else if (name == "none") {
      o.compression = compression::none;
    } else if (name == "snappy") {
      args.stage_error("/config/compression", "snappy compression is not supported; use gzip");
    } else {
      args.stage_error("/config/compression", "compression must be gzip (or none)");
    }
  }
  if (const json* v = member(*config, "compressionLevel")) {
    if (!v->is_number_integer() || *v < 1 || *v > 9) {
      args.stage_error("/config/compressionLevel",
                       "compressionLevel must be an integer from 1 to 9");
    }
    if (o.compression != compression::gzip) {
      args.stage_error("/config/compressionLevel",
                       "compressionLevel applies to gzip compression only");
    }
    o.compression_level = v->get<int>();
  }
  return o;
}

reel::connection_type make_connection_type() {
  reel::connection_type t;
  t.summary =
      "S3 bucket ($emit): {region, endpoint, pathStyle, accessKeyId, secretAccessKey, "
      "sessionToken}";
  t.check = &check_definition;
  t.stage_options = {.source = {},
                     .emit = {"bucket", "region", "path", "config.writeOptions", "config.delimiter",
                              "config.outputFormat", "config.dateFormat", "config.compression",
                              "config.compressionLevel"},
                     .merge = {}};
  t.make_sink = [](const connection_args& args) -> std::unique_ptr<reel::sink> {
    return std::make_unique<sink>(options_from(args));
  };
  t.make_checkpoint_store =
      [](const connection_args& args) -> std::unique_ptr<reel::checkpoint_store> {
    return std::make_unique<checkpoint_store>(checkpoint_store_options_from(args));
  };
  return t;
}

void register_connection_type(reel::connection_registry& registry, const reel::clock* clock,
                              retry_policy retry) {
  reel::connection_type t = make_connection_type();
  t.make_sink = [clock, retry](const connection_args& args) -> std::unique_ptr<reel::sink> {
    sink_options o = options_from(args);
    o.clock = clock;
    o.retry = retry;
    return std::make_unique<sink>(std::move(o));
  };
  registry.register_type("s3", std::move(t));
}

}  // namespace reel::s3
