# The invocation image's Dockerfile. Wharf replaces the two PORTER_ lines:
# PORTER_INIT with its build arguments and PORTER_MIXINS with the lines each
# mixin needs, and then adds the runtime and CMD at the end.
FROM debian:stable-slim

# PORTER_INIT

# PORTER_MIXINS

# Install extra tools here. Wharf builds with dockerd's BuildKit, so cache
# mounts keep apt's downloads between builds, for example:
# RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \
#     apt-get update && apt-get install -y curl
# A step that needs a secret mounts it, and `wharf build --secret id=token,src=FILE`
# gives it; the secret reaches no layer:
# RUN --mount=type=secret,id=token sh -c 'TOKEN=$(cat /run/secrets/token) ./fetch.sh'

# Copy the bundle's files into its working directory.
COPY --chown=65532:0 . ${BUNDLE_DIR}
