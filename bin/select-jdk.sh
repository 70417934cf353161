# Sourced by bin/basalt and .ci/run: exports JAVA_HOME for a JDK >= 21.
# JAVA_HOME wins when it is >= 21; otherwise the newest JDK in /usr/lib/jvm; otherwise one clear line.
basalt_java_major() {
  local version
  version=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  echo "${version:-0}"
}
basalt_select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(basalt_java_major "$JAVA_HOME")" -ge 21 ]; then
    return 0
  fi
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/javac" ] || continue
    major=$(basalt_java_major "$dir")
    if [ "$major" -gt "$best_major" ]; then best=$dir; best_major=$major; fi
  done
  if [ "$best_major" -lt 21 ]; then
    echo "basalt: needs a JDK >= 21 (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
basalt_select_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
