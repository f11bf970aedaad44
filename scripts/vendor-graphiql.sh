#!/usr/bin/env bash
# Refresh the GraphiQL assets shipped in mypd_graph/static/graphiql/ from the npm registry.
#
# The service must work without internet, so GraphiQL, React and the explorer plugin are served
# from the package itself. This fetches the pinned versions with `npm pack` (tarballs only: no
# install, no node_modules), copies the built browser files and their licenses, and prints the
# sha256 and sizes to paste into mypd_graph/static/graphiql/README.md. Change the versions below
# together: graphiql and @graphiql/plugin-explorer must depend on the same @graphiql/react minor
# (`npm view graphiql@X dependencies`, `npm view @graphiql/plugin-explorer@Y peerDependencies`),
# and React must still ship UMD builds (18.x does; 19 does not).
set -euo pipefail

REACT=18.3.1
GRAPHIQL=3.9.0
EXPLORER=3.2.6
GRAPHIQL_EXPLORER=0.9.0 # bundled inside the plugin's UMD file; vendored for its license only

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/mypd_graph/static/graphiql"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "react@$REACT" "react-dom@$REACT" "graphiql@$GRAPHIQL" \
  "@graphiql/plugin-explorer@$EXPLORER" "graphiql-explorer@$GRAPHIQL_EXPLORER" >/dev/null
for tarball in *.tgz; do
  mkdir "${tarball%.tgz}"
  tar -xzf "$tarball" -C "${tarball%.tgz}"
done

# Vendored files are replaced whole; README.md (written by hand) stays.
find "$DEST" -maxdepth 1 -type f ! -name README.md -delete 2>/dev/null || mkdir -p "$DEST"
cp "react-$REACT/package/umd/react.production.min.js" "$DEST/"
cp "react-dom-$REACT/package/umd/react-dom.production.min.js" "$DEST/"
cp "react-$REACT/package/LICENSE" "$DEST/LICENSE.react"
cp "graphiql-$GRAPHIQL/package/graphiql.min.js" "$DEST/"
cp "graphiql-$GRAPHIQL/package/graphiql.min.css" "$DEST/"
# graphiql and @graphiql/plugin-explorer come from one repository, under this license; the
# plugin's tarball carries none of its own.
cp "graphiql-$GRAPHIQL/package/LICENSE" "$DEST/LICENSE.graphiql"
cp "graphiql-plugin-explorer-$EXPLORER/package/dist/index.umd.js" "$DEST/plugin-explorer.umd.js"
cp "graphiql-plugin-explorer-$EXPLORER/package/dist/style.css" "$DEST/plugin-explorer.css"
cp "graphiql-explorer-$GRAPHIQL_EXPLORER/package/LICENSE" "$DEST/LICENSE.graphiql-explorer"

cd "$DEST"
echo "react $REACT, react-dom $REACT, graphiql $GRAPHIQL, @graphiql/plugin-explorer $EXPLORER"
sha256sum -- * | grep -v ' README.md$'
du -ch -- * | tail -n 1
