import Logging
import NIOCore
import NIOPosix
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardIngressFunction
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardVisionFunction

#if canImport(Glibc)
    import Glibc
#endif

/// `switchyard-server`: the front door, the router and the llm-caller in one process.
enum ServerCommand {
    static func run() async -> Int32 {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "switchyard.server")
        do {
            let environment = Environment.process
            let configuration = try ServerConfiguration(environment: environment)
            let router = try RouterHandler(configuration: RouterConfiguration(environment: environment))
            let pool = BlockingPool(threads: configuration.upstreamThreads)
            let billing = try await ServerBilling.start(
                configuration, rates: router.bundles.current().router.table.bundle.rates, pool: pool, logger: logger)
            let backend = InProcessBackend(
                pipeline: InProcessPipeline(
                    router: router,
                    llm: try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: environment)),
                    vision: configuration.vision ? try await VisionHandler.make(environment: environment) : nil,
                    pool: pool, usage: billing?.frontDoor.queue, enqueueTimeout: configuration.frontDoor.enqueueTimeout,
                    logger: logger))
            let gateway = try GatewayMode(environment: environment, arguments: CommandLine.arguments)
            let keys = try KeyRing(path: configuration.keysFile)
            let service = FrontDoorService(
                keys: keys, backend: gateway?.backend(over: backend) ?? backend, billing: billing?.frontDoor,
                configuration: configuration.frontDoor,
                logger: logger)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
            let server = try await HTTPFrontDoorServer.start(
                host: configuration.host, port: configuration.port, group: group, limits: configuration.limits
            ) { request in
                guard let gateway else { return await service.handle(request) }
                switch await gateway.prepare(request, deadline: .now + configuration.frontDoor.requestTimeout) {
                case .success(let request): return await service.handle(request)
                case .failure(let error): return .error(error, requestID: nil)
                }
            }
            // The test harness and scripts read this line for the port.
            print(
                "switchyard-server listening on http://\(configuration.host):\(server.port) "
                    + "billing=\(billing == nil ? "off" : "on")" + (gateway == nil ? "" : " gateway=on")
            )
            fflush(stdout)
            try await server.channel.closeFuture.get()
            return 0
        } catch {
            logger.critical("switchyard-server failed to start: \(error)")
            return 1
        }
    }
}
