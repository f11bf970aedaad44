from mypd_graph.cli import main

main()
