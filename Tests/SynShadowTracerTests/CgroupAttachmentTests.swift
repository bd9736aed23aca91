@testable import SynShadowTracer
import Testing

/// Where `--cgroup` attaches the cgroup programs, and the self-check's own
/// cgroup: never inside the chosen one, never around it.
@Suite struct CgroupAttachmentTests {
    let root = "/sys/fs/cgroup"

    @Test func withoutACgroupFilterTheProgramsAttachAtTheRoot() {
        #expect(CgroupAttachment(root: root, filter: nil) == .atRoot(root))
        let everything = OwnerFilter.Cgroup(path: "/", id: 1, level: 0)
        #expect(CgroupAttachment(root: root, filter: everything).attachAt == root)
        #expect(CgroupAttachment(root: root, filter: everything).selfCheckCgroup == nil)
    }

    @Test func aCgroupFilterAttachesAtThatCgroupWithASelfCheckCgroupBesideIt() {
        let service = OwnerFilter.Cgroup(path: "/system.slice/nginx.service", id: 42, level: 2)
        let attachment = CgroupAttachment(root: root, filter: service, processID: 1234)
        #expect(attachment.attachAt == "/sys/fs/cgroup/system.slice/nginx.service")
        #expect(attachment.selfCheckCgroup == "/sys/fs/cgroup/synshadow-self-check-1234")
        // A direct child of the root: it cannot contain the chosen cgroup
        // (not the root) nor lie inside it (one level down only).
        let selfCheck = attachment.selfCheckCgroup ?? ""
        #expect(!selfCheck.hasPrefix(attachment.attachAt + "/") && !attachment.attachAt.hasPrefix(selfCheck + "/"))
    }
}
