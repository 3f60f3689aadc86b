// switchyard-keys: create, list, revoke and rotate API keys in the key file (see KeysCommand).
import Foundation

exit(KeysCommand.run(Array(CommandLine.arguments.dropFirst())))
