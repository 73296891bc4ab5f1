#!/bin/bash
ls /sys/class/net | sort > /root/interfaces.txt
