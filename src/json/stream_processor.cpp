// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::json::stream_processor`: the public class forwards to its implementation
/// (`stream_processor_impl.hpp`), compiled here once for every application.
#include "stream_processor_impl.hpp"

#include <utility>

namespace reel::json {

namespace {
stream_processor_options with_fingerprint(stream_processor_options o, const document& pipeline) {
  if (o.checkpoint.fingerprint.empty()) {
    o.checkpoint.fingerprint = stream_processor::fingerprint_of(pipeline);
  }
  return o;
}
pipeline_options with_connections(pipeline_options o, const connection_registry& connections) {
  if (o.connections == nullptr) o.connections = &connections;
  return o;
}
}  // namespace

std::string stream_processor::fingerprint_of(const document& pipeline) {
  return fmt::format("{:016x}", reel::detail::fnv1a64(pipeline.dump()));
}
const std::optional<resume_info>& stream_processor::resumed_from() const noexcept {
  return impl_->resumed_from();
}
void stream_processor::save_checkpoint() {
  impl_->save_checkpoint();
}

stream_processor::stream_processor(const document& pipeline, const connection_registry& connections,
                                   stream_processor_options options)
    : stream_processor(compile_pipeline(pipeline, with_connections(options.compile, connections)),
                       connections, with_fingerprint(std::move(options), pipeline)) {}

stream_processor::stream_processor(compiled_pipeline pipeline,
                                   const connection_registry& connections,
                                   stream_processor_options options)
    : impl_(std::make_unique<impl>(std::move(pipeline), connections, std::move(options))) {}

stream_processor::~stream_processor() = default;

const std::string& stream_processor::name() const noexcept {
  return impl_->name();
}
void stream_processor::on_output(callback f) {
  impl_->on_output(std::move(f));
}
void stream_processor::on_dead_letter(callback f) {
  impl_->on_dead_letter(std::move(f));
}
void stream_processor::push(document doc, partition_id partition,
                            std::optional<timestamp> record_time) {
  impl_->push(std::move(doc), partition, record_time);
}
void stream_processor::push(source_message message) {
  impl_->push(std::move(message));
}
void stream_processor::advance(timestamp now) {
  impl_->advance(now);
}
void stream_processor::advance() {
  impl_->advance();
}
void stream_processor::flush() {
  impl_->flush();
}
std::size_t stream_processor::process(std::size_t limit) {
  return impl_->process(limit);
}
poll_status stream_processor::step() {
  return impl_->step();
}
void stream_processor::start() {
  impl_->start();
}
void stream_processor::stop() {
  impl_->stop();
}
void stream_processor::request_stop() {
  impl_->request_stop();
}
bool stream_processor::wait_stopped(std::chrono::milliseconds timeout) {
  return impl_->wait_stopped(timeout);
}
bool stream_processor::running() const noexcept {
  return impl_->running();
}
std::optional<std::string> stream_processor::failure() const {
  return impl_->failure();
}
document stream_processor::stats(bool verbose) const {
  return impl_->stats(verbose);
}
document stream_processor::explain(timestamp t, const document& partition) const {
  return impl_->explain(t, partition);
}
std::string stream_processor::checkpoint() const {
  return impl_->checkpoint();
}
void stream_processor::restore(std::string_view bytes) {
  impl_->restore(bytes);
}

}  // namespace reel::json
