/// The release this source tree builds: `synshadow --version` prints it and
/// the Debian package (scripts/package/build-deb.sh) takes its version from there.
enum SynShadowVersion {
    static let current = "0.9.0"
}
