# Sourced by container-test.sh and package-test.sh: sets the array CT to the
# docker-compatible command, $CONTAINER_CLI if set, else
# ../shared/container/podman beside the repository if present (the docker
# stand-in on these machines), else docker.
# REQUIRES: $repo is the repository's root.
if [[ -n ${CONTAINER_CLI:-} ]]; then
  read -r -a CT <<<"$CONTAINER_CLI"
elif [[ -x $repo/../shared/container/podman ]]; then
  CT=("$(cd "$repo/../shared/container" && pwd)/podman")
else
  CT=(docker)
fi
