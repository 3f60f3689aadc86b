// vision-tool: the vision library's pure functions on files, for the Python reference tests
// and the benchmark. Not deployed.
//
//   vision-tool decode FILE [--rgb OUT.npy]              JSON {width,height,format,orientation}
//   vision-tool letterbox FILE --size N --out OUT.npy [--rgb]   float32 [1,3,N,N] (or uint8-valued HWC with --rgb)
//   vision-tool nms                                      JSON lines in → JSON lines out (kept indices)
//   vision-tool postprocess OUTPUT.npy --width W --height H --size N [--conf C] [--iou I] [--max-det K]
//   vision-tool bench FILE [--iterations N]              timings as JSON
//   vision-tool metadata MODEL.onnx|META.json            class names and input size as the function reads them
//   vision-tool invoke EVENT.json                        the function's handler once on a VisionStepInput (configured
//                                                        from the environment as the function is), with peak RSS
//   vision-tool detect MODEL.onnx IMAGE [--threads N]    in-process detections for one image (JSON)
//   vision-tool bench-inference MODEL.onnx IMAGE... [--threads N] [--iterations K]
//                                                        in-process pipeline vs bare onnxruntime run, medians (JSON)
//   vision-tool bench-postprocess OUTPUT.npy --width W --height H [--iterations N]
//                                                        post-processing of a given output, median (JSON)
// Errors print {"errorType","errorMessage"} and exit 2.
import SwitchyardCore
import SwitchyardJSON
import SwitchyardVision

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ error: any FunctionError) -> Never {
    let document = JSON.object(
        JSONObject([
            (key: "errorType", value: .string(error.errorType)),
            (key: "errorMessage", value: .string(error.errorMessage)),
        ]))
    print(String(decoding: document.serialized(), as: UTF8.self))
    exit(2)
}

func usage() -> Never {
    FileHandleWriter.stderr(
        "usage: vision-tool decode|letterbox|nms|postprocess|bench|metadata|invoke|detect|bench-inference|"
            + "bench-postprocess ...\n")
    exit(64)
}

do {
    guard let command = arguments.first else { usage() }
    switch command {
    case "decode": try VisionToolCommands.decode(arguments: arguments, option: option)
    case "letterbox": try VisionToolCommands.letterbox(arguments: arguments, option: option)
    case "nms": try VisionToolCommands.nms()
    case "postprocess": try VisionToolCommands.postprocess(arguments: arguments, option: option)
    case "bench": try VisionToolCommands.bench(arguments: arguments, option: option)
    case "invoke": try await VisionToolCommands.invoke(arguments: arguments)
    case "metadata": try VisionToolCommands.metadata(arguments: arguments)
    case "detect": try InferenceCommands.detect(arguments: arguments, option: option)
    case "bench-inference": try InferenceCommands.benchInference(arguments: arguments, option: option)
    case "bench-postprocess": try InferenceCommands.benchPostprocess(arguments: arguments, option: option)
    default: usage()
    }
} catch let error as any FunctionError {
    fail(error)
} catch {
    FileHandleWriter.stderr("vision-tool: \(error)\n")
    exit(1)
}
