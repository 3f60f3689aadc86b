/// A dense float32 tensor in row-major order, the currency between pre-processing, a model
/// backend and post-processing.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "Tensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }
}
