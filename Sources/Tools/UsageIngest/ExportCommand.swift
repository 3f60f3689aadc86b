import Foundation
import SwitchyardJSON

/// `export`: priced records as JSON lines on stdout (for pymongo runs).
enum ExportCommand {
    static func run(_ context: IngestContext) {
        let count = context.arguments.int("count", 1000)
        var out = [UInt8]()
        for i in 0..<count {
            out += try! JSON.encode(context.generator.record(i).priced(by: context.calculator))
            out.append(UInt8(ascii: "\n"))
            if out.count > 1 << 20 {
                FileHandle.standardOutput.write(Data(out))
                out.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(out))
    }
}
