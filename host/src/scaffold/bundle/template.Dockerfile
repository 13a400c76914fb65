# The invocation image's Dockerfile. Wharf replaces the two PORTER_ lines:
# PORTER_INIT with its build arguments and PORTER_MIXINS with the lines each
# mixin needs, and then adds the runtime and CMD at the end.
FROM debian:stable-slim

# PORTER_INIT

# PORTER_MIXINS

# Install extra tools here, for example:
# RUN apt-get update && apt-get install -y curl

# Copy the bundle's files into its working directory.
COPY --chown=65532:0 . ${BUNDLE_DIR}
