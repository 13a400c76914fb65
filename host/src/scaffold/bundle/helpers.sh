#!/bin/sh
# Functions the bundle's exec steps call: ./helpers.sh ACTION NAME
# Keep scripts here rather than inline `bash -c` in porter.yaml: they are
# easier to quote, test and lint.
set -eu

install() {
  echo "Hello, $1"
}

upgrade() {
  echo "Hello again, $1"
}

status() {
  echo "$1 has been greeted"
}

uninstall() {
  echo "Goodbye, $1"
}

# Call the function named by the first argument with the rest.
"$@"
