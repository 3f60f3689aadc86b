import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest

final class SecretEnvironmentTests: XCTestCase {
    let base: [String: String] = [
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
    ]
    /// From when the test runs: XCTest creates every test's instance when the whole run starts.
    var deadline: ContinuousClock.Instant { .now.advanced(by: .seconds(5)) }

    func answer(_ secretString: String) -> HTTPResponse {
        HTTPResponse(status: 200, body: JSON.object(["Name": "s", "SecretString": .string(secretString)]).serialized())
    }

    func testMembersOfEachNamedSecretBecomeVariablesAndTheEnvironmentWins() async throws {
        let endpoint = RecordingTransport(answers: [
            answer(#"{"MONGODB_URI": "mongodb+srv://u:p@cluster/db", "SWITCHYARD_DB": "from-secret"}"#),
            answer(#"{"SWITCHYARD_CLASSIFIER_API_KEY": "k-1"}"#),
        ])
        var values = base
        values["SWITCHYARD_SECRETS"] = "arn:aws:secretsmanager:us-east-1:1:secret:mongo, classifier "
        values["SWITCHYARD_DB"] = "explicit"
        let resolved = try await SecretEnvironment.resolve(
            Environment(values), transport: endpoint, deadline: deadline)
        XCTAssertEqual(resolved["MONGODB_URI"], "mongodb+srv://u:p@cluster/db")
        XCTAssertEqual(resolved["SWITCHYARD_DB"], "explicit", "a variable the environment sets wins")
        XCTAssertEqual(resolved["SWITCHYARD_CLASSIFIER_API_KEY"], "k-1")
        let asked = try endpoint.sent.map { try JSON.parse($0.body) }
        XCTAssertEqual(
            asked, [["SecretId": "arn:aws:secretsmanager:us-east-1:1:secret:mongo"], ["SecretId": "classifier"]])
    }

    func testWithoutSecretsNothingIsCalled() async throws {
        let endpoint = RecordingTransport(answers: [])
        let resolved = try await SecretEnvironment.resolve(Environment(base), transport: endpoint, deadline: deadline)
        XCTAssertEqual(resolved.values, base)
        XCTAssertTrue(endpoint.sent.isEmpty)
    }

    /// The transport (libcurl's, at init: `curl_global_init`) is made only when a secret is named.
    func testTheTransportIsMadeOnlyWhenASecretIsNamed() async throws {
        var made = 0
        func transport() -> any HTTPTransport {
            made += 1
            return RecordingTransport(answers: [answer(#"{"MONGODB_URI": "mongodb://db"}"#)])
        }
        _ = try await SecretEnvironment.resolve(Environment(base), transport: transport(), deadline: deadline)
        XCTAssertEqual(made, 0, "no secret named, no transport")
        var values = base
        values["SWITCHYARD_SECRETS"] = "mongo"
        let resolved = try await SecretEnvironment.resolve(
            Environment(values), transport: transport(), deadline: deadline)
        XCTAssertEqual(made, 1)
        XCTAssertEqual(resolved["MONGODB_URI"], "mongodb://db")
    }

    func testASecretCannotSetCredentialsOrRuntimeVariablesAndErrorsHideValues() async {
        for (document, bad) in [
            (#"{"AWS_SECRET_ACCESS_KEY": "stolen"}"#, "AWS_SECRET_ACCESS_KEY"),
            (#"{"LAMBDA_TASK_ROOT": "/tmp"}"#, "LAMBDA_TASK_ROOT"), (#"{"_HANDLER": "x"}"#, "_HANDLER"),
            (#"{"mongodb_uri": "x"}"#, "mongodb_uri"), (#"{"PORT": 8080}"#, "PORT"),
        ] {
            var values = base
            values["SWITCHYARD_SECRETS"] = "s"
            do {
                _ = try await SecretEnvironment.resolve(
                    Environment(values), transport: RecordingTransport(answers: [answer(document)]), deadline: deadline)
                XCTFail("accepted \(bad)")
            } catch {
                XCTAssertEqual(error.errorType, "Config.Invalid")
                XCTAssertTrue(error.errorMessage.contains(bad), error.errorMessage)
                XCTAssertFalse(error.errorMessage.contains("stolen"))
            }
        }
        var values = base
        values["SWITCHYARD_SECRETS"] = "s"
        for response in [
            answer("not json"), answer("[1]"),
            HTTPResponse(
                status: 400,
                body: Array(#"{"__type":"ResourceNotFoundException","message":"no such secret"}"#.utf8)),
        ] {
            do {
                _ = try await SecretEnvironment.resolve(
                    Environment(values), transport: RecordingTransport(answers: [response]), deadline: deadline)
                XCTFail("accepted \(response.status)")
            } catch {
                XCTAssertEqual(error.errorType, "Config.Invalid")
            }
        }
    }
}
