package main

func cmdBench(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "nop":
			return cmdBenchNop(args[1:])
		case "file":
			return cmdBenchFile(args[1:])
		}
		if args[0] != "" && args[0][0] != '-' {
			return badInput("bench: unknown benchmark %q (want nop or file, or no name for the suite)", args[0])
		}
	}
	return cmdBenchSuite(args)
}
