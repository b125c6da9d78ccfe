using FedLlm.Cli;

return await CliApp.RunAsync(args);
