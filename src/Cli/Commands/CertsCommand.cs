using System.CommandLine;
using FedLlm.Cli.Output;
using FedLlm.Transport.Security;

namespace FedLlm.Cli.Commands;

/// <summary><c>fedllm certs --out DIR --clients a,b,c</c>: CA, server and client certificates and tokens for a federation.</summary>
public static class CertsCommand
{
    public static Command Build()
    {
        var command = new Command("certs", "Make a private CA, a server certificate, client certificates and tokens for a test federation");
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for the PEM files and tokens", Required = true };
        var clients = new Option<string>("--clients") { Description = "Comma-separated client names (certificate CN and config name)", Required = true };
        var hosts = new Option<string>("--server-names") { Description = "Comma-separated host names and IPs the server is reached at", DefaultValueFactory = _ => "localhost,127.0.0.1" };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 365 };
        command.Add(output);
        command.Add(clients);
        command.Add(hosts);
        command.Add(days);
        command.SetAction(parse =>
        {
            static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var files = TestFederationCredentials.Create(parse.GetValue(output)!.FullName, List(parse.GetValue(hosts)!), List(parse.GetValue(clients)!),
                TimeSpan.FromDays(parse.GetValue(days)));
            ConsoleOutput.Info($"CA: {files.CaCertificate}");
            ConsoleOutput.Info($"server certificate: {files.ServerCertificate} (key {files.ServerKey})");
            foreach (var (name, token) in files.TokenFiles) ConsoleOutput.Info($"client {name}: token {token}, certificate client-{name}.pem");
            ConsoleOutput.Info($"server.clients for the server config: {Path.Combine(files.Directory, "server-clients.yaml")}");
            return 0;
        });
        return command;
    }
}
