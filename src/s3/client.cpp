// SPDX-License-Identifier: Apache-2.0
// reel::s3::client over libcurl: curl signs (CURLOPT_AWS_SIGV4); this file encodes the key and
// the query, adds x-amz-content-sha256 and turns failures into request_error.
#include "reel/s3/client.hpp"

#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>

#include <curl/curl.h>

#include "reel/aws/sigv4.hpp"
#include "util.hh"

namespace reel::s3 {

std::optional<credentials> credentials::from_environment() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (!id || !secret || !*id || !*secret) return std::nullopt;
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  return credentials{id, secret, token ? token : ""};
}

std::string response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

namespace {

request make_request(std::string method, std::string bucket, std::string key = {}) {
  request r;
  r.method = std::move(method);
  r.bucket = std::move(bucket);
  r.key = std::move(key);
  return r;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct slist {
  curl_slist* list = nullptr;
  ~slist() { curl_slist_free_all(list); }
  void add(const std::string& s) {
    curl_slist* next = curl_slist_append(list, s.c_str());
    if (!next) throw std::bad_alloc();
    list = next;
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue)
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    headers->emplace_back(detail::lower(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

bool retryable_code(const std::string& code) {
  return code == "RequestTimeout" || code == "SlowDown" || code == "InternalError" ||
         code == "ServiceUnavailable" || code == "RequestTimeTooSkewed";
}

std::string hint(const std::string& code) {
  if (code == "SignatureDoesNotMatch") {
    return " (check the secret access key of the connection, and its region)";
  }
  if (code == "InvalidAccessKeyId" || code == "XAdminUserNotFound") {  // AWS, versitygw
    return " (check the access key id of the connection)";
  }
  if (code == "NoSuchBucket") return " (create the bucket, or check its name)";
  if (code == "AccessDenied") return " (check the credentials and their permissions)";
  if (code == "AuthorizationHeaderMalformed") return " (check the region of the connection)";
  return "";
}

}  // namespace

struct client::impl {
  client_options options;
  std::string scheme;  // "http" / "https"
  std::string host;    // "127.0.0.1:7070"
  bool path_style = true;
  CURL* curl = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};

  explicit impl(client_options o) : options(std::move(o)) {
    global_init();
    std::string endpoint = options.endpoint;
    if (endpoint.empty()) {
      endpoint = "https://s3." +
                 (options.region.empty() ? std::string("us-east-1") : options.region) +
                 ".amazonaws.com";
    }
    const std::size_t sep = endpoint.find("://");
    if (sep == std::string::npos) {
      scheme = "https";
      host = endpoint;
    } else {
      scheme = detail::lower(endpoint.substr(0, sep));
      host = endpoint.substr(sep + 3);
    }
    while (!host.empty() && host.back() == '/')
      host.pop_back();
    if ((scheme != "http" && scheme != "https") || host.empty() ||
        host.find('/') != std::string::npos) {
      throw_error("reel.s3.invalid_option", "",
                  "endpoint must look like http://host:port or https://host, not '" +
                      options.endpoint + "'");
    }
    path_style = options.path_style.value_or(!options.endpoint.empty());
    curl = curl_easy_init();
    if (!curl) throw_error("reel.s3.request_failed", "", "cannot create a curl handle");
  }
  ~impl() {
    if (curl) curl_easy_cleanup(curl);
  }

  std::string url(const request& r) const {
    std::string out = scheme + "://";
    if (!r.bucket.empty() && !path_style) {
      out += r.bucket + "." + host + "/";
    } else {
      out += host + "/";
      if (!r.bucket.empty()) out += r.bucket + (r.key.empty() ? "" : "/");
    }
    out += aws::uri_encode(r.key, false);
    if (!r.query.empty()) out += "?" + aws::canonical_query(r.query);
    return out;
  }

  response send(const request& r) {
    curl_easy_reset(curl);
    response out;
    const std::string target = url(r);
    slist headers;
    headers.add("x-amz-content-sha256: " + aws::sha256_hex(r.body));
    if (!options.credentials.session_token.empty()) {
      headers.add("x-amz-security-token: " + options.credentials.session_token);
    }
    bool has_content_type = false;
    for (const auto& [name, value] : r.headers) {
      // Never "Name:" (a removal entry): curl would sign it as a header.
      if (value.empty()) continue;
      if (detail::lower(name) == "content-type") has_content_type = true;
      headers.add(name + ": " + value);
    }
    const bool with_body = r.method == "PUT" || r.method == "POST";
    if (with_body && !has_content_type) headers.add("Content-Type: application/octet-stream");
    slist connect_to;
    for (const std::string& c : options.connect_to)
      connect_to.add(c);
    const std::string sigv4 =
        "aws:amz:" + (options.region.empty() ? std::string("us-east-1") : options.region) + ":s3";

    error_buffer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, options.credentials.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options.credentials.secret_access_key.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
    if (connect_to.list) curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out.headers);
    if (r.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      if (with_body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
    }
    const CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      std::string detail = curl_easy_strerror(rc);
      if (error_buffer[0] != '\0') detail += std::string(" (") + error_buffer + ")";
      throw request_error(
          "reel.s3.request_failed", where(r),
          r.method + " failed: no response from " + scheme + "://" + host + ": " + detail, 0, "",
          true);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
    return out;
  }

  static std::string where(const request& r) {
    if (r.bucket.empty()) return "s3://";
    return "s3://" + r.bucket + (r.key.empty() ? "" : "/" + r.key);
  }

  /// Throws the request_error of a response that is not a success.
  [[noreturn]] static void fail(const request& r, const response& res, const std::string& id) {
    const std::string code = detail::xml_text(res.body, "Code");
    const std::string message = detail::xml_text(res.body, "Message");
    std::string text = r.method + " failed: HTTP " + std::to_string(res.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    text += hint(code);
    const bool retryable =
        res.status >= 500 || res.status == 408 || res.status == 429 || retryable_code(code);
    throw request_error(id, where(r), text, res.status, code, retryable);
  }

  response checked(const request& r, const std::string& id = "reel.s3.request_failed") {
    response res = send(r);
    if (res.status < 200 || res.status >= 300) fail(r, res, id);
    return res;
  }
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

const client_options& client::options() const noexcept {
  return impl_->options;
}

response client::send(const request& r) {
  return impl_->send(r);
}
std::string client::url(const request& r) const {
  return impl_->url(r);
}

void client::create_bucket(const std::string& bucket) {
  request r = make_request("PUT", bucket);
  const std::string& region = impl_->options.region;
  if (!region.empty() && region != "us-east-1") {
    r.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        region + "</LocationConstraint></CreateBucketConfiguration>";
    r.headers.emplace_back("Content-Type", "application/xml");
  }
  response res = impl_->send(r);
  if (res.status >= 200 && res.status < 300) return;
  if (res.status == 409 && detail::xml_text(res.body, "Code") == "BucketAlreadyOwnedByYou") return;
  impl::fail(r, res, "reel.s3.request_failed");
}

void client::put_object(const std::string& bucket, const std::string& key, std::string_view body,
                        const std::string& content_type) {
  request r = make_request("PUT", bucket, key);
  r.headers.emplace_back("Content-Type", content_type);
  r.body.assign(body);
  impl_->checked(r);
}

std::string client::get_object(const std::string& bucket, const std::string& key) {
  return impl_->checked(make_request("GET", bucket, key)).body;
}

std::vector<std::string> client::list_objects(const std::string& bucket,
                                              const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    request r = make_request("GET", bucket);
    r.query = {{"list-type", "2"}};
    if (!prefix.empty()) r.query.emplace_back("prefix", prefix);
    if (!token.empty()) r.query.emplace_back("continuation-token", token);
    const response res = impl_->checked(r);
    for (std::string& k : detail::xml_texts(res.body, "Key"))
      keys.push_back(std::move(k));
    token = detail::xml_text(res.body, "NextContinuationToken");
    if (detail::xml_text(res.body, "IsTruncated") != "true" || token.empty()) break;
  }
  return keys;
}

void client::delete_object(const std::string& bucket, const std::string& key) {
  impl_->checked(make_request("DELETE", bucket, key));
}

}  // namespace reel::s3
